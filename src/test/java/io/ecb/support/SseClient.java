package io.ecb.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tests' SSE client: opens a stream over a real HTTP connection and splits it, chunk by chunk,
 * into events (blocks ended by a blank line). Events go to a listener, or into a queue that
 * {@link #next} takes from; a test that needs more (a channel id, its own event type) extends it.
 */
public class SseClient {

  /** One block: its {@code event:}, {@code id:}, {@code data:} (lines joined by \n) and {@code :} comment, each null when absent. */
  public record Event(String event, String id, String data, String comment) {
  }

  public int status;
  public String contentType;
  public HttpClientResponse response;
  /** The body of a refused stream (status other than 200). */
  public Buffer errorBody;
  /** Completes with the stream's first bytes: the servers write a first comment once the stream follows its subscriptions. */
  public final CompletableFuture<Void> firstBytes = new CompletableFuture<>();
  /** Completes when the server ends the stream or the connection breaks. */
  public final CompletableFuture<Void> ended = new CompletableFuture<>();

  private final StringBuilder pending = new StringBuilder();
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Consumer<Event> sink;

  /** Queues every event, comments included. */
  public SseClient() {
    this(e -> true);
  }

  /** Queues the events {@code keep} accepts. */
  public SseClient(Predicate<Event> keep) {
    this.sink = e -> {
      if (keep.test(e)) events.add(e);
    };
  }

  private SseClient(Consumer<Event> listener, boolean unused) {
    this.sink = listener;
  }

  /** A client that hands every event to {@code listener} (on the connection's event loop) and queues none. */
  public static SseClient listening(Consumer<Event> listener) {
    return new SseClient(listener, true);
  }

  /** Opens a stream with a GET. */
  public static Future<SseClient> open(HttpClient client, RequestOptions options) {
    return open(client, options, null, new SseClient());
  }

  /**
   * Sends the request ({@code Accept: text/event-stream}, {@code body} if not null) and completes
   * with {@code sse} once the response head is in: on 200 with the stream being read into it,
   * otherwise with {@link #errorBody} read.
   */
  public static <S extends SseClient> Future<S> open(HttpClient client, RequestOptions options, Buffer body, S sse) {
    Promise<S> p = Promise.promise();
    options.putHeader("Accept", "text/event-stream");
    client.request(options).onFailure(p::fail).onSuccess(req -> {
      req.response().onFailure(p::fail).onSuccess(resp -> {
        sse.status = resp.statusCode();
        sse.contentType = resp.getHeader("Content-Type");
        sse.response = resp;
        if (resp.statusCode() != 200) {
          resp.body().onFailure(p::fail).onSuccess(b -> {
            sse.errorBody = b;
            p.complete(sse);
          });
          return;
        }
        // Attached as the head arrives, on the event loop, before any chunk of the body is read.
        resp.handler(sse::feed);
        resp.endHandler(v -> sse.ended.complete(null));
        resp.exceptionHandler(e -> sse.ended.complete(null));
        p.complete(sse);
      });
      if (body == null) req.end();
      else req.end(body);
    });
    return p.future();
  }

  /** Parses a chunk of the stream; complete events go to the listener or the queue. */
  public synchronized void feed(Buffer chunk) {
    firstBytes.complete(null);
    pending.append(chunk.toString(StandardCharsets.UTF_8));
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + 2);
      String event = null;
      String id = null;
      String comment = null;
      StringBuilder data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith(":")) comment = line.substring(1).trim();
        else if (line.startsWith("event:")) event = line.substring(6).trim();
        else if (line.startsWith("id:")) id = line.substring(3).trim();
        else if (line.startsWith("data:")) {
          if (data == null) data = new StringBuilder();
          else data.append('\n');
          data.append(line.substring(5).trim());
        }
      }
      sink.accept(new Event(event, id, data == null ? null : data.toString(), comment));
    }
  }

  /** The next queued event, failing the test when none comes within 20 s. */
  public Event next() {
    try {
      Event e = events.poll(20, TimeUnit.SECONDS);
      assertThat(e).as("an SSE event within 20 s").isNotNull();
      return e;
    } catch (InterruptedException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** Events queued and not yet taken. */
  public int buffered() {
    return events.size();
  }

  /** Closes the stream's connection, as a browser leaving the page does. */
  public void close() {
    if (response != null) response.request().connection().close();
  }
}
