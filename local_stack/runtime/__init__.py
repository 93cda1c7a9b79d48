"""AWS's own Lambda runtime on this machine: execution environments for the local Function URL.

One execution environment = one ``aws-lambda-rie`` process (AWS's Runtime Interface
Emulator, built by ``tools/go-tools.sh rie``) running ``python -m awslambdaric
<handler>`` (AWS's Runtime Interface Client, the code that runs Python handlers in
Lambda's managed runtimes) over the extracted zip, on two loopback ports of its own.
RIE serves one invocation at a time (a second concurrent one crashes it), so the
pool hands each environment to one request at a time and starts new ones up to the
function's concurrency.

What RIE and awslambdaric do here, as on Lambda: importing the handler once per
environment (the init phase), the ``context`` object, the runtime's log format, JSON
marshalling of the result (``Runtime.MarshalError``), the error shape of an
exception (``errorType``/``errorMessage``/``stackTrace``), the function timeout
(the runtime is killed and re-initialised on the next invocation), a runtime that
exits (``Runtime.ExitError``), the 6 MB response limit
(``Function.ResponseSizeTooLarge``), and the START/END/REPORT lines.

Modules: spec.py (the function read back from the emulator, its code and environment),
rie.py (the one aws-lambda-rie launcher), invocation.py (what an answer means), logs.py
(the function log), pool.py (execution environments up to the concurrency).

The small home-made parts, each because RIE cannot do it (README.md, "What RIE and
awslambdaric cannot do here"):

* ``invocation.classify`` tells a function error from a result: RIE answers a handled
  function error with HTTP 200 and drops Lambda's ``X-Amz-Function-Error`` header
  (its response writer has no headers), and a timeout with HTTP 200 and the text
  ``Task timed out after N.00 seconds``.
* ``logs.LogRouter`` corrects RIE's REPORT line: RIE measures ``Init Duration`` around
  an asynchronous call (so it reads ~0.05 ms), omits it after a re-initialisation,
  and counts the init phase into ``Duration``. The true init time is in RIE's own
  ``INIT REPORT(durationMs: …)`` line; the router writes Lambda's REPORT line from it.
"""
