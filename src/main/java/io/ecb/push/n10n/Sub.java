package io.ecb.push.n10n;

import io.ecb.error.EcbException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** One subscription of a channel: a view ({@code entity}) of a workspace, or the heartbeat. */
record Sub(String entity, long wsid) {

  static final String HEARTBEAT = NotificationsSseProfile.HEARTBEAT;
  private static final Pattern QNAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,99}\\.[A-Za-z_][A-Za-z0-9_]{0,99}");

  boolean heartbeat() {
    return entity.equals(HEARTBEAT);
  }

  /** The {@code subscriptions} of a request to open a channel, at most {@code max}. */
  static List<Sub> list(Object value, int max) {
    if (!(value instanceof JsonArray array) || array.isEmpty()) throw EcbException.badRequest("subscriptions must be a non-empty array");
    if (array.size() > max) throw EcbException.badRequest("too many subscriptions");
    List<Sub> out = new ArrayList<>();
    for (Object o : array) {
      if (!(o instanceof JsonObject s)) throw EcbException.badRequest("each subscription must be an object {entity, wsid}");
      for (String k : s.fieldNames()) {
        if (!k.equals("entity") && !k.equals("wsid")) throw EcbException.badRequest("unknown field " + k + " in a subscription");
      }
      if (!(s.getValue("entity") instanceof String entity)) throw EcbException.badRequest("subscription entity is missing");
      if (!s.containsKey("wsid")) throw EcbException.badRequest("subscription wsid is missing");
      out.add(of(entity, s.getValue("wsid")));
    }
    return out;
  }

  static Sub of(String entity, Object wsidValue) {
    if (!QNAME.matcher(entity).matches()) throw EcbException.badRequest("bad entity: " + entity + " (a qualified name pkg.Name)");
    long wsid;
    if (wsidValue instanceof Integer || wsidValue instanceof Long) {
      wsid = ((Number) wsidValue).longValue();
    } else if (wsidValue instanceof String text) {
      // From the path of PUT/DELETE.
      try {
        wsid = Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw EcbException.badRequest("bad wsid: " + text);
      }
    } else {
      throw EcbException.badRequest("bad wsid: must be an integer");
    }
    if (HEARTBEAT.equals(entity)) {
      if (wsid < 0) throw EcbException.badRequest("bad wsid: " + wsid);
      return new Sub(HEARTBEAT, 0); // one heartbeat per channel, whatever workspace names it
    }
    if (wsid <= 0) throw EcbException.badRequest("bad wsid: " + wsid);
    return new Sub(entity, wsid);
  }
}
