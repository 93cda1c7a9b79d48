"""The local stack: moto server as the local AWS, `terraform apply` of the real root
module to it, and a local Function URL in front of AWS's own Lambda runtime
(aws-lambda-rie + awslambdaric). `python -m local_stack up|down`."""
