package io.ecb.chat;

import io.ecb.error.EcbException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A page request ({@code pageStartIndex >= 0}, default 0; {@code pageSize} 1..100, default 20) and the paging of a list. */
public record Paging(int pageStartIndex, int pageSize) {

  public static final int DEFAULT_SIZE = 20;
  public static final int MAX_SIZE = 100;

  /** Reads a paging request; values may be numbers or, from a query string, numeric text. */
  public static Paging of(Object start, Object size) {
    int s = number("pageStartIndex", start, 0);
    int n = number("pageSize", size, DEFAULT_SIZE);
    if (s < 0) throw EcbException.badRequest("pageStartIndex must be >= 0");
    if (n < 1 || n > MAX_SIZE) throw EcbException.badRequest("pageSize must be between 1 and " + MAX_SIZE);
    return new Paging(s, n);
  }

  public static Paging of(JsonObject body) {
    return body == null ? of(null, null) : of(body.getValue("pageStartIndex"), body.getValue("pageSize"));
  }

  private static int number(String name, Object v, int dflt) {
    if (v == null) return dflt;
    if (v instanceof Integer || v instanceof Long) {
      long l = ((Number) v).longValue();
      if (l > Integer.MAX_VALUE || l < Integer.MIN_VALUE) throw EcbException.badRequest(name + " is out of range");
      return (int) l;
    }
    if (v instanceof String s) {
      if (s.isEmpty()) return dflt;
      try {
        return Integer.parseInt(s);
      } catch (NumberFormatException e) {
        throw EcbException.badRequest(name + " must be an integer");
      }
    }
    throw EcbException.badRequest(name + " must be an integer");
  }

  /**
   * {@code {pageStartIndex, pageSize (items in this page), totalItems, items, previousPage, nextPage}}.
   * previousPage is null on the first page; nextPage is null when no item follows.
   */
  public JsonObject page(JsonArray all) {
    int total = all.size();
    int from = Math.min(pageStartIndex, total);
    int to = Math.min(from + pageSize, total);
    JsonArray items = new JsonArray(all.getList().subList(from, to));
    JsonObject previous = null;
    if (pageStartIndex > 0) {
      int prevStart = Math.max(0, Math.min(pageStartIndex, total) - pageSize);
      previous = new JsonObject().put("pageStartIndex", prevStart).put("pageSize", pageSize);
    }
    JsonObject next = to < total ? new JsonObject().put("pageStartIndex", to).put("pageSize", pageSize) : null;
    return new JsonObject()
      .put("pageStartIndex", pageStartIndex)
      .put("pageSize", to - from)
      .put("totalItems", total)
      .put("items", items)
      .put("previousPage", previous)
      .put("nextPage", next);
  }
}
