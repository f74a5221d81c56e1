#!/usr/bin/env python3
# RabbitMQ's tutorial six RPC client (https://www.rabbitmq.com/tutorials/tutorial-six-python), with
# the greeter's queue `hello.rpc` in place of `rpc_queue` and a name in place of a number. The broker
# URL comes from argv (the tutorial connects to localhost), and `direct` selects the direct reply-to
# variant (`amq.rabbitmq.reply-to`) instead of the exclusive callback queue.
#
#   python3 rpc_client.py amqp://guest:guest@localhost:5672/%2F callback-queue World
import sys
import uuid

import pika


class HelloRpcClient(object):

    def __init__(self, url, direct_reply_to=False):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))

        self.channel = self.connection.channel()

        if direct_reply_to:
            self.callback_queue = 'amq.rabbitmq.reply-to'
        else:
            result = self.channel.queue_declare(queue='', exclusive=True)
            self.callback_queue = result.method.queue

        self.channel.basic_consume(
            queue=self.callback_queue,
            on_message_callback=self.on_response,
            auto_ack=True)

        self.response = None
        self.corr_id = None

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body

    def call(self, name):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(
            exchange='',
            routing_key='hello.rpc',
            properties=pika.BasicProperties(
                reply_to=self.callback_queue,
                correlation_id=self.corr_id,
            ),
            body=name)
        while self.response is None:
            self.connection.process_data_events(time_limit=None)
        return self.response


url, mode = sys.argv[1], sys.argv[2]
hello_rpc = HelloRpcClient(url, direct_reply_to=(mode == 'direct'))

for name in sys.argv[3:]:
    print(" [x] Requesting SayHello(%s)" % name)
    response = hello_rpc.call(name)
    print(" [.] Got %s" % response.decode())
