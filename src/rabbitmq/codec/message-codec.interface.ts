/**
 * Turns a payload into message bytes and back. One codec per `content-type`; a team can add
 * its own (protobuf, avro) by implementing this interface and registering it in the module
 * (`RabbitMQModule.forRoot({ codecs: [new MyProtobufCodec()] })`).
 */
export interface MessageCodec {
  /** The `content-type` this codec writes and accepts, e.g. `application/json`. */
  readonly contentType: string;
  /** Other content types it also accepts on consume, e.g. `application/x-msgpack`. */
  readonly aliases?: readonly string[];
  encode(payload: unknown): Buffer;
  /** Throws on bytes that are not valid for this content type. */
  decode(body: Buffer): unknown;
}
