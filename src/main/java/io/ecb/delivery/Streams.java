package io.ecb.delivery;

/**
 * Names of the delivery streams. A stream is what clients follow and what offsets count:
 * {@code thread:<id>}, {@code user:<id>}, {@code channel:<name>}. Its event-bus address is the
 * bridge address a client registers: {@code ecb.thread.<id>}, {@code ecb.user.<id>},
 * {@code ecb.channel.<name>}.
 */
public final class Streams {

  public static final String THREAD = "thread";
  public static final String USER = "user";
  public static final String CHANNEL = "channel";

  private Streams() {
  }

  public static String thread(String threadId) {
    return THREAD + ":" + threadId;
  }

  public static String user(String userId) {
    return USER + ":" + userId;
  }

  public static String channel(String name) {
    return CHANNEL + ":" + name;
  }

  /** {@code thread:t1} → {@code ecb.thread.t1}. */
  public static String address(String stream) {
    int colon = stream.indexOf(':');
    return "ecb." + stream.substring(0, colon) + "." + stream.substring(colon + 1);
  }

  /** {@code ecb.thread.t1} → {@code thread:t1}; null when the address is not a stream's. */
  public static String fromAddress(String address) {
    for (String kind : new String[]{THREAD, USER, CHANNEL}) {
      String prefix = "ecb." + kind + ".";
      if (address.startsWith(prefix) && address.length() > prefix.length()) {
        return kind + ":" + address.substring(prefix.length());
      }
    }
    return null;
  }
}
