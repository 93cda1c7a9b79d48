"""Lambda's DynamoDB event source mapping, played locally (`make up` runs it for the publisher).

mapping.py   the mapping's settings read back from the emulator, the on-failure sender
records.py   stream records in Lambda's event format; a shard read in order
poller.py    batches, partial failures, retries, bisect, record age, on-failure (one shard, every mapping)
runner.py    `python -m local_stack.streams.runner`: the poller invoking the function on AWS's runtime
launch.py    starting the runner as a process of its own
"""
