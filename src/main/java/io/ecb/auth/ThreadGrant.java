package io.ecb.auth;

import java.util.List;

/** What a verified threadToken grants: access to one thread, for the members it names. */
public record ThreadGrant(String threadId, List<String> memberIds) {

  public boolean isMember(String userId) {
    return memberIds.contains(userId);
  }
}
