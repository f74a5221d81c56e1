"""Reads docs/asyncapi.yaml and checks the integration events a pika client receives against it.

usage: python3 asyncapi_check.py ASYNCAPI_YAML AMQP_URL TIMEOUT_SECONDS

Binds a queue of its own to every routing key the document lists on its topic exchange, prints
"ready", then takes messages until it has seen every event type of those channels (or nothing came
for TIMEOUT_SECONDS) and checks each one the way a team in another language would: the message whose
AMQP type it carries, its content type, its headers and its payload against the JSON Schema in the
document. Prints one JSON line per message and exits 1 if any does not conform, or if an event type
never came. Nothing in it is generated from TypeScript.
"""
import json
import sys

import jsonschema
import pika
import yaml


def main(path, url, timeout):
    with open(path, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    messages = document["components"]["messages"]
    by_type = {
        m["bindings"]["amqp"]["messageType"]: m
        for m in messages.values()
        if m.get("bindings", {}).get("amqp", {}).get("messageType")
    }
    event_channels = [
        c for c in document["channels"].values() if c.get("bindings", {}).get("amqp", {}).get("is") == "routingKey"
    ]
    keys = [(c["bindings"]["amqp"]["exchange"]["name"], c["address"]) for c in event_channels]
    expected = {
        resolve(document, m)["bindings"]["amqp"]["messageType"] for c in event_channels for m in c["messages"].values()
    }
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    for exchange, routing_key in keys:
        channel.queue_bind(queue=queue, exchange=exchange, routing_key=routing_key)
    print("ready", flush=True)

    failures = 0
    seen = set()
    for method, properties, body in channel.consume(queue, auto_ack=True, inactivity_timeout=timeout):
        if method is None:
            break
        seen.add(properties.type)
        problems = []
        message = by_type.get(properties.type)
        if message is None:
            problems.append(f"no message of type {properties.type!r} in the document")
        else:
            content_type = message.get("contentType", document.get("defaultContentType"))
            if properties.content_type != content_type:
                problems.append(f"content_type {properties.content_type!r}, expected {content_type!r}")
            for schema, value in (
                (message.get("payload", {}), json.loads(body)),
                (message.get("headers", {"type": "object"}), properties.headers or {}),
            ):
                for error in jsonschema.Draft7Validator(schema).iter_errors(value):
                    problems.append(f"{'/'.join(map(str, error.path)) or '(body)'}: {error.message}")
        failures += bool(problems)
        print(json.dumps({"type": properties.type, "routing_key": method.routing_key, "problems": problems}), flush=True)
        if expected <= seen:
            break
    connection.close()
    if not expected <= seen:
        print(json.dumps({"never_came": sorted(expected - seen)}), flush=True)
    return 0 if failures == 0 and expected <= seen else 1


def resolve(document, value):
    """Follows a local $ref ("#/components/messages/X")."""
    while "$ref" in value:
        node = document
        for key in value["$ref"].lstrip("#/").split("/"):
            node = node[key]
        value = node
    return value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
