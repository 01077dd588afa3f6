/**
 * What the Worker tells an object about a connection, in headers it sets itself (replacing any a client sent): the
 * client's address, the peer id its join token binds it to, and the object's own name.
 */
export const ADDRESS_HEADER = "x-signal-address";
export const SUBJECT_HEADER = "x-signal-subject";
export const NAME_HEADER = "x-signal-name";
