"""Publishes one event to warren the way a Python service does with pika (BlockingConnection).

It declares the events exchange as any producer would (topic, durable, no arguments), publishes
persistent JSON with a message id, and returns only once the broker confirmed the publish. The
docs/interop.md shows this code.

Usage: AMQP_URL=amqp://... python3 pika-publisher.py EXCHANGE ROUTING_KEY MESSAGE_ID JSON_BODY
"""
import os
import sys

import pika


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit('usage: AMQP_URL=amqp://... pika-publisher.py EXCHANGE ROUTING_KEY MESSAGE_ID JSON_BODY')
    exchange, routing_key, message_id, body = sys.argv[1:5]

    connection = pika.BlockingConnection(pika.URLParameters(os.environ['AMQP_URL']))
    try:
        channel = connection.channel()
        # The same declaration warren makes: either side may start first.
        channel.exchange_declare(exchange=exchange, exchange_type='topic', durable=True)
        # With confirms on, basic_publish returns only after the broker's ack and raises on a nack.
        channel.confirm_delivery()
        channel.basic_publish(
            exchange=exchange,
            routing_key=routing_key,
            body=body.encode('utf-8'),
            properties=pika.BasicProperties(
                content_type='application/json',
                delivery_mode=2,  # persistent
                message_id=message_id,
            ),
        )
    finally:
        connection.close()


if __name__ == '__main__':
    main()
