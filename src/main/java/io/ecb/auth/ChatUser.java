package io.ecb.auth;

import io.vertx.core.json.JsonObject;

import java.util.List;

/** The caller, as stated by a verified userToken. */
public record ChatUser(String userId, String displayName, Object data, List<String> channels) {

  /** The {@code user} object of the data model, as sent to the backend and to clients. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("userId", userId).put("displayName", displayName);
    if (data != null) o.put("data", data);
    return o;
  }
}
