"""The local Lambda Function URL: `python -m local_stack.gateway --function-name NAME --zip PATH`.

An HTTP server on 127.0.0.1 that does what a Function URL does, and only that:

* HTTP request <-> Lambda event and result in payload format 2.0;
* the concurrency limit: at most min(reserved concurrency, --max-workers) requests
  run at once, one per execution environment; beyond that the answer is 429 at once;
* 502 when the invocation fails: a function error, a timeout, a runtime that exits,
  an init failure, a result that is not a valid response;
* the 6 MB limits: a larger request (or event) is 413, a larger response 502.

The function itself runs on AWS's own runtime (local_stack.runtime): each execution
environment is an aws-lambda-rie process running awslambdaric over the zip Terraform
built, with the function's environment, timeout and memory read back from the
emulator and the credentials of an sts:AssumeRole of its execution role (iam.py).

Modules: event.py (HTTP <-> payload format 2.0), server.py (the HTTP server),
__main__.py (reads the function back, assumes its role, serves).

Normally started by local_stack.lifecycle (`make up`); see local_stack/README.md.
Credentials for reading the function back come from the environment (the harness
user's when the emulator enforces IAM).
"""
