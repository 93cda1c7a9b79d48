# Metrics from the function's own JSON log line (one per request, written by
# lambda_src/webhook/service.py): CloudWatch Logs metric filters. They cost
# nothing per event (the line is written anyway) where EMF would add bytes to
# every line; see the README for the figures.
#
# Every delivery metric carries the dimension Provider (read from the line's
# `provider` field, which the pattern has already fixed to that provider).
# No default value: a metric has a data point only in a minute with a match, so
# the alarms below say explicitly what a missing data point means.
locals {
  # Metric name => JSON filter pattern; %s is the provider. The fields are the
  # log line's: provider, outcome (accepted|duplicate|ignored|rejected|error),
  # statusCode.
  delivery_patterns = {
    Requests            = "{ $.provider = \"%s\" }"
    Stored              = "{ $.provider = \"%s\" && $.outcome = \"accepted\" }"
    Duplicates          = "{ $.provider = \"%s\" && $.outcome = \"duplicate\" }"
    Ignored             = "{ $.provider = \"%s\" && $.outcome = \"ignored\" }"
    SignatureRejections = "{ $.provider = \"%s\" && $.statusCode = 401 }"
    Refused             = "{ $.provider = \"%s\" && $.statusCode = 400 }"
    ServerErrors        = "{ $.provider = \"%s\" && $.statusCode >= 500 }"
  }

  delivery_filters = {
    for pair in setproduct(sort(tolist(var.enabled_providers)), sort(keys(local.delivery_patterns))) :
    "${pair[0]}-${pair[1]}" => {
      provider = pair[0]
      metric   = pair[1]
      pattern  = format(local.delivery_patterns[pair[1]], pair[0])
    }
  }

  # The reconciler's run summary {"listed","stored","duplicates","ignored","refused"}:
  # one metric per count, its value read from the line.
  reconcile_pattern = "{ $.listed >= 0 && $.stored >= 0 && $.duplicates >= 0 && $.ignored >= 0 && $.refused >= 0 }"
  reconcile_metrics = var.reconciler_log_group_name == null ? {} : {
    ReconcileListed     = "$.listed"
    ReconcileStored     = "$.stored"
    ReconcileDuplicates = "$.duplicates"
    ReconcileIgnored    = "$.ignored"
    ReconcileRefused    = "$.refused"
  }
}

resource "aws_cloudwatch_log_metric_filter" "deliveries" {
  for_each = local.delivery_filters

  name           = "${var.name_prefix}-${each.key}"
  log_group_name = var.log_group_name
  pattern        = each.value.pattern

  metric_transformation {
    name       = each.value.metric
    namespace  = var.metric_namespace
    value      = "1"
    unit       = "Count"
    dimensions = { Provider = "$.provider" }
  }
}

resource "aws_cloudwatch_log_metric_filter" "reconcile" {
  for_each = local.reconcile_metrics

  name           = "${var.name_prefix}-${each.key}"
  log_group_name = var.reconciler_log_group_name
  pattern        = local.reconcile_pattern

  metric_transformation {
    name      = each.key
    namespace = var.metric_namespace
    value     = each.value
    unit      = "Count"
  }
}
