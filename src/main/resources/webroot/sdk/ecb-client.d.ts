// Types of the ECB client SDK (ecb-client.mjs). Wire shapes: the ECB contract, section 3.

export declare const VERSION: string;

/** Codes the server sends (status = its HTTP status), and those the client finds (status 0). */
export type EcbErrorCode =
  | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED' | 'INTERNAL' | 'BACKEND_ERROR' | 'UNAVAILABLE' | 'BACKEND_TIMEOUT'
  | 'DISCONNECTED' | 'TIMEOUT' | 'CLOSED' | 'NO_SOCKJS' | (string & {});

export declare class EcbError extends Error {
  constructor(code: EcbErrorCode, status: number, message?: string);
  readonly name: 'EcbError';
  readonly code: EcbErrorCode;
  /** The HTTP status the server answered with (401, 403, 429, ...); 0 for a failure the client found. */
  readonly status: number;
  /** The same as status, under the bridge's name. */
  readonly failureCode: number;
}

/** A SockJS constructor: sockjs-client's default export, or anything with its shape. */
export interface SockJSLike {
  // Loose on purpose: the SDK sets onopen/onmessage/onclose and calls send/close, and each
  // SockJS typing declares those handlers differently.
  new (url: string, reserved?: any, options?: any): {
    onopen: any;
    onmessage: any;
    onclose: any;
    send(data: string): void;
    close(code?: number, reason?: string): void;
  };
}

export interface EcbClientOptions {
  /** SockJS constructor; default the global `SockJS`. In Node: `import SockJS from 'sockjs-client'`. */
  SockJS?: SockJSLike;
  /** Options for the SockJS constructor, e.g. `{transports: ['websocket']}`. */
  sockjs?: Record<string, unknown>;
  /** A userToken to start with (instead of getUserToken). */
  userToken?: string;
  /**
   * Called when a request or registration is answered UNAUTHORIZED; returns a fresh userToken
   * (or `{userToken}`), and the operation is retried once with it. Concurrent failures share one call.
   */
  refreshToken?: (context: { error: EcbError; userToken: string }) => string | { userToken: string } | Promise<string | { userToken: string }>;
  /** ms between pings; default 5000 (the server drops a socket silent for 10 s). */
  pingInterval?: number;
  /** Reconnect after a lost connection or a failed attempt; default true. */
  reconnect?: boolean;
  /** ms before a request fails with TIMEOUT; default 30000. */
  requestTimeout?: number;
  /** Backoff: attempt n waits a random time between half and all of min(max, min x 2^n); defaults 500 and 10000 ms. */
  minReconnectDelay?: number;
  maxReconnectDelay?: number;
}

export interface Paging { pageStartIndex?: number; pageSize?: number; }
export interface User { userId: string; displayName?: string; data?: unknown; [k: string]: unknown; }
export interface Message { messageId?: string; fromUserId?: string; creationTime?: number; type: string; data: unknown; [k: string]: unknown; }
export interface Thread { threadId: string; threadToken: string; members?: User[]; [k: string]: unknown; }
/** A thread, or its threadToken. */
export type ThreadRef = Thread | string;
export interface Paged<T> { items: T[]; [k: string]: unknown; }
export interface ThreadAndMessages { thread: Thread; messages: Message[]; offset?: number; epoch?: string; [k: string]: unknown; }

/** Payloads of the thread, user and channel streams; numbered ones carry offset and epoch. */
export type Payload =
  | { kind: 'message'; threadId: string; offset: number; epoch: string; message: Message }
  | { kind: 'read'; threadId: string; userId: string; readOffset: number; offset: number; epoch: string }
  | { kind: 'threadCreated'; thread: Thread; offset: number; epoch: string }
  | { kind: 'notification'; event: string; data: unknown; messageId: string; offset: number; epoch: string }
  | { kind: 'typing'; threadId: string; fromUserId: string; data: boolean }
  | { kind: 'presence'; threadId: string; userId: string; online: boolean };

export interface Position { sinceOffset: number; epoch: string | null; }

export interface Recovery {
  recovered: boolean;
  /** Payloads after sinceOffset, oldest first (when recovered). */
  missed: Payload[];
  offset: number;
  epoch: string;
}

export interface SubscribeOptions {
  threadToken?: string;
  /** Use this userToken for the stream instead of the client's. */
  userToken?: string;
  /** Resume from a stored position: what came after it is handed on first (or onReload is called). */
  sinceOffset?: number;
  epoch?: string;
  /** History could not cover a gap: reload what the stream is about from the backend. */
  onReload?: (reply: Recovery) => void;
  /** The registration was refused (the subscription is dropped), or a recovery failed. */
  onError?: (error: EcbError) => void;
}

export interface Subscription {
  readonly address: string;
  /** Resolves once the stream's position is known (registration in effect). */
  readonly ready: Promise<void>;
  /** The last offset handed on (or the position the stream was joined at). */
  readonly offset: number | null;
  readonly epoch: string | null;
  threadToken: string | null;
  unsubscribe(): void;
}

export interface ThreadFollow {
  thread: Thread;
  messages: Message[];
  readonly offset: number | null;
  readonly epoch: string | null;
  readonly threadToken: string | null;
  unsubscribe(): void;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export declare class EcbClient {
  static readonly VERSION: string;
  static readonly EcbError: typeof EcbError;
  static newId(): string;

  /** url: the bridge, e.g. `https://chat.example.com/eventbus`. */
  constructor(url: string, options?: EcbClientOptions);
  readonly url: string;
  readonly state: ClientState;
  readonly connected: boolean;
  userToken: string | null;
  user: User | null;
  onclose: ((e: { code: number; reason: string }) => void) | null;
  onreconnect: (() => void) | null;
  onerror: ((e: EcbError) => void) | null;

  /** Resolves once open; failed attempts (the first too) are retried with backoff while `reconnect` is on. */
  connect(): Promise<void>;
  /** For good: no reconnect; pending calls fail with CLOSED. */
  close(): void;

  /** A raw request on the bridge, with the headers given. */
  request<T = unknown>(address: string, headers?: Record<string, string>, body?: unknown): Promise<T>;

  /** Trades the customer's accessToken for a userToken, which the client keeps. */
  getUserToken(accessToken: string): Promise<{ userToken: string; user: User }>;
  login(accessToken: string): Promise<{ userToken: string; user: User }>;
  getContacts(paging?: Paging): Promise<Paged<User>>;
  getThreads(paging?: Paging): Promise<Paged<Thread>>;
  /** message: text, or `{type, data}`. */
  createThread(memberIds: string[], message: string | Message, data?: unknown): Promise<ThreadAndMessages>;
  getThread(thread: ThreadRef, since?: Position): Promise<ThreadAndMessages & { offset: number; epoch: string; recovered?: boolean; missed?: Payload[] }>;
  /** A clientMessageId is generated when omitted. */
  sendMessage(thread: ThreadRef, message: string | Message, clientMessageId?: string): Promise<{ thread: Thread; message: Message; offset: number }>;
  sendText(thread: ThreadRef, text: string, clientMessageId?: string): Promise<{ thread: Thread; message: Message; offset: number }>;
  typing(thread: ThreadRef, isTyping: boolean): Promise<unknown>;
  sendTyping(thread: ThreadRef, isTyping: boolean): Promise<unknown>;
  /** What a stream carried after a position; thread streams need the thread (its token). */
  recover(address: string, since: Position, thread?: ThreadRef): Promise<Recovery>;
  getPresence(thread: ThreadRef): Promise<{ threadId: string; online: string[] }>;
  markRead(thread: ThreadRef, readOffset: number): Promise<{ threadId: string; userId: string; readOffset: number; offset: number; epoch: string }>;

  /** Follows `ecb.thread.<id>`, `ecb.user.<id>` or `ecb.channel.<name>`; every payload once, numbered ones in order, across reconnects. */
  subscribe(address: string, options: SubscribeOptions | undefined, onPayload: (payload: Payload) => void, onError?: (error: EcbError) => void): Subscription;
  /** `ecb.user.<userId>` of the signed-in user. */
  followUser(onEvent: (payload: Payload) => void, onError?: (error: EcbError) => void): Subscription;
  /** A thread with its history; later payloads once each, in order; onReload gets a fresh history when a gap cannot be covered. */
  followThread(thread: Thread, onPayload: (payload: Payload) => void,
    callbacks?: { onReload?: (reply: ThreadAndMessages) => void; onError?: (error: EcbError) => void }): Promise<ThreadFollow>;
}

export declare function newId(): string;
