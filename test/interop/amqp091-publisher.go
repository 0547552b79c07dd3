// Command amqp091-publisher publishes one event to warren the way a Go service does with
// github.com/rabbitmq/amqp091-go: it declares the events exchange as any producer would
// (topic, durable, no arguments), publishes persistent JSON with a message id, and waits for
// the broker's confirm. docs/interop.md shows this code.
//
// Usage: AMQP_URL=amqp://... amqp091-publisher EXCHANGE ROUTING_KEY MESSAGE_ID JSON_BODY
package main

import (
	"context"
	"log"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	if len(os.Args) != 5 {
		log.Fatal("usage: AMQP_URL=amqp://... amqp091-publisher EXCHANGE ROUTING_KEY MESSAGE_ID JSON_BODY")
	}
	exchange, routingKey, messageID, body := os.Args[1], os.Args[2], os.Args[3], os.Args[4]

	conn, err := amqp.Dial(os.Getenv("AMQP_URL"))
	if err != nil {
		log.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		log.Fatalf("channel: %v", err)
	}
	// The same declaration warren makes: a producer may start first, and the broker accepts
	// equal declarations from both sides.
	if err := ch.ExchangeDeclare(exchange, "topic", true, false, false, false, nil); err != nil {
		log.Fatalf("declare exchange %s: %v", exchange, err)
	}
	// Confirm mode: the publish counts only once the broker has taken responsibility for it.
	if err := ch.Confirm(false); err != nil {
		log.Fatalf("confirm mode: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, exchange, routingKey, false, false, amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    messageID,
		Timestamp:    time.Now(),
		Body:         []byte(body),
	})
	if err != nil {
		log.Fatalf("publish: %v", err)
	}
	if !confirm.Wait() {
		log.Fatal("the broker did not confirm the publish (nack or timeout): publish it again")
	}
}
