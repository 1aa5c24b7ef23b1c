package stack

import (
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/metrics"
)

// namespace is the deployment's CloudWatch namespace for the functions'
// embedded metrics: Kiosk/<stage>, so stages in one account do not mix.
func (d *deployment) namespace() string { return metrics.Namespace + "/" + d.props.Stage }

// businessMetric is a metric of the catalogue as one function records it.
func (b *builder) businessMetric(m metrics.Metric, function, statistic string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(b.namespace()),
		MetricName:    jsii.String(m.Name),
		DimensionsMap: &map[string]*string{metrics.FunctionDimension: jsii.String(function)},
		Statistic:     jsii.String(statistic),
		Period:        period,
		Label:         jsii.String(m.Name),
	})
}

func statisticOf(m metrics.Metric) string {
	if m.Unit == metrics.Count {
		return "Sum"
	}
	return "Maximum"
}

func minutes(n float64) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(n)) }

// businessMetrics puts the domain's business metrics on its dashboard beside
// its Lambdas' rows, with the cold starts of its functions, and adds the
// topology's alarms on them and a "has not succeeded" alarm per batch.
func (b *builder) businessMetrics(domain string) {
	five := minutes(5)
	var widgets []awscloudwatch.IWidget
	for _, m := range topology.DomainMetrics(domain) {
		var left []awscloudwatch.IMetric
		if m.Dimension != "" {
			left = append(left, awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s,%s} MetricName="%s"', '%s', 300)`,
					b.namespace(), metrics.FunctionDimension, m.Dimension, m.Name, statisticOf(m))),
				Label:        jsii.String(m.Name + " by " + m.Dimension),
				UsingMetrics: &map[string]awscloudwatch.IMetric{},
				Period:       five,
			}))
		} else {
			left = append(left, b.businessMetric(m, m.Function, statisticOf(m), five))
		}
		widgets = append(widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(fmt.Sprintf("%s (%s, %s): %s", m.Name, m.Function, m.Unit, m.Help)),
			Left:  &left, Width: jsii.Number(8),
		}))
	}
	var cold []awscloudwatch.IMetric
	for _, name := range b.order {
		cold = append(cold, b.businessMetric(metrics.ColdStarts, name, "Sum", five))
	}
	if len(cold) > 0 {
		widgets = append(widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("cold starts per function"), Left: &cold, Width: jsii.Number(8),
		}))
	}
	if api := b.cloud.APIFunctionsOf(domain); len(api) > 0 {
		m := metrics.RequestsRefused
		only := make([]string, len(api))
		for i, name := range api {
			only[i] = fmt.Sprintf(`%s="%s"`, metrics.FunctionDimension, name)
		}
		expr := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s,%s} MetricName="%s" (%s)', 'Sum', 300)`,
				b.namespace(), metrics.FunctionDimension, m.Dimension, m.Name, strings.Join(only, " OR "))),
			Label:        jsii.String(m.Name + " by " + metrics.FunctionDimension + " and " + m.Dimension),
			UsingMetrics: &map[string]awscloudwatch.IMetric{},
			Period:       five,
		})
		widgets = append(widgets, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(fmt.Sprintf("%s (%s): %s", m.Name, m.Unit, m.Help)),
			Left:  &[]awscloudwatch.IMetric{expr}, Width: jsii.Number(8),
		}))
	}
	if len(widgets) > 0 {
		b.dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("## Business metrics (" + b.namespace() + ", embedded in the functions' logs)"), Width: jsii.Number(24),
		}))
		b.dashboard.AddWidgets(widgets...)
	}
	for _, a := range b.cloud.Monitoring.Alarms {
		if a.Metric.Domain != domain {
			continue
		}
		op := awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
		if a.GreaterThan {
			op = awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
		}
		missing := awscloudwatch.TreatMissingData_NOT_BREACHING
		if a.MissingBreaches {
			missing = awscloudwatch.TreatMissingData_BREACHING
		}
		b.alarm(LogicalID(a.Name)+"Alarm", &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(b.physical(a.Name)),
			AlarmDescription:   jsii.String(a.Description + " — runbook: README #" + a.Runbook),
			Metric:             b.businessMetric(a.Metric, a.Metric.Function, a.Statistic, minutes(a.Period.Minutes())),
			Threshold:          jsii.Number(a.Threshold),
			EvaluationPeriods:  jsii.Number(float64(max(1, a.Periods))),
			DatapointsToAlarm:  jsii.Number(1),
			ComparisonOperator: op,
			TreatMissingData:   missing,
		})
	}
	for _, name := range b.order {
		f, _ := b.cloud.Function(name)
		if len(f.Schedules) == 0 {
			continue
		}
		deadline := topology.BatchDeadline(f)
		b.alarm(LogicalID(name)+"NotSucceededAlarm", &awscloudwatch.AlarmProps{
			AlarmName: jsii.String(b.physical(name) + "-not-succeeded"),
			AlarmDescription: jsii.String(fmt.Sprintf("%s: no successful scheduled run in %s — runbook: README #%s",
				name, deadline, topology.BatchRunbook)),
			Metric:             b.businessMetric(metrics.BatchSucceeded, name, "Sum", minutes(deadline.Minutes())),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
		})
	}
}

// queries saves the topology's Logs Insights queries over the stack's
// function log groups, as <cloud>-<stage>/<stack>/<query>.
func (b *builder) queries() {
	if len(b.order) == 0 {
		return
	}
	var groups []any
	for _, name := range b.order {
		groups = append(groups, b.built[name].logs.LogGroupName())
	}
	for _, q := range b.cloud.Monitoring.Queries {
		awslogs.NewCfnQueryDefinition(b.stack, jsii.String(LogicalID(q.Name)+"Query"), &awslogs.CfnQueryDefinitionProps{
			Name:          jsii.String(fmt.Sprintf("%s-%s/%s/%s", b.cloud.Name, b.props.Stage, b.name, q.Name)),
			QueryString:   jsii.String(q.Text),
			LogGroupNames: &groups,
		})
	}
}

// sloAlarms are the API's error-budget alarms, multi-window and
// multi-burn-rate (topology.BurnWindows): for availability, the 5xx share of
// requests against Rate × the budget; for latency, the SLO's percentile
// shifted by the same rate (a p99 ≤ 1 s objective burning 14.4× fast means
// more than 14.4% of requests over 1 s, i.e. p85.6 > 1 s). Each pair of
// windows is a composite alarm on the alarm topic; its two halves notify
// nobody.
func (b *builder) sloAlarms() {
	slo := b.cloud.Monitoring.SLO
	if slo.Window == 0 {
		return
	}
	apiID := b.httpAPI().ApiId()
	dims := &map[string]*string{"ApiId": apiID, "Stage": jsii.String("$default")}
	api := func(name, stat string, period awscdk.Duration) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/ApiGateway"), MetricName: jsii.String(name),
			DimensionsMap: dims, Statistic: jsii.String(stat), Period: period,
		})
	}
	budget := 1 - slo.Availability
	half := func(id, what string, m awscloudwatch.IMetric, threshold float64) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(b.stack, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(what),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	for _, w := range topology.BurnWindows {
		tag := fmt.Sprintf("%s%s", shortDuration(w.Long.Minutes()), shortDuration(w.Short.Minutes()))
		var errHalves, latHalves []awscloudwatch.IAlarmRule
		for _, win := range []float64{w.Long.Minutes(), w.Short.Minutes()} {
			period := minutes(win)
			ratio := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String("errors / MAX([requests, 1])"),
				UsingMetrics: &map[string]awscloudwatch.IMetric{
					"errors": api("5xx", "Sum", period), "requests": api("Count", "SampleCount", period),
				},
				Label: jsii.String("5xx share"), Period: period,
			})
			win := shortDuration(win)
			errHalves = append(errHalves, awscloudwatch.AlarmRule_FromAlarm(
				half("ApiErrorBudget"+tag+win, fmt.Sprintf("API 5xx share over %s above %g× the error budget (%.4f)", win, w.Rate, w.Rate*budget),
					ratio, w.Rate*budget), awscloudwatch.AlarmState_ALARM))
			pct := 100 - w.Rate*100*(1-slo.LatencyShare())
			latHalves = append(latHalves, awscloudwatch.AlarmRule_FromAlarm(
				half("ApiLatencyBudget"+tag+win, fmt.Sprintf("API p%s latency over %s above %g ms", trimFloat(pct), win, slo.LatencyMS),
					api("Latency", "p"+trimFloat(pct), period), slo.LatencyMS), awscloudwatch.AlarmState_ALARM))
		}
		for _, c := range []struct {
			id, what string
			rules    []awscloudwatch.IAlarmRule
		}{
			{"ApiErrorBudgetBurn" + tag, fmt.Sprintf("the API's 5xx burn %g× its monthly error budget (%.1f%% of it in %s) — runbook: README #%s",
				w.Rate, w.Budget*100, w.Long, topology.APIBudgetRunbook), errHalves},
			{"ApiLatencyBudgetBurn" + tag, fmt.Sprintf("the API's slow requests (over %g ms) burn %g× their monthly budget (%.1f%% of it in %s) — runbook: README #%s",
				slo.LatencyMS, w.Rate, w.Budget*100, w.Long, topology.APIBudgetRunbook), latHalves},
		} {
			composite := awscloudwatch.NewCompositeAlarm(b.stack, jsii.String(c.id), &awscloudwatch.CompositeAlarmProps{
				AlarmDescription: jsii.String(c.what),
				AlarmRule:        awscloudwatch.AlarmRule_AllOf(c.rules[0], c.rules[1]),
			})
			action := awscloudwatchactions.NewSnsAction(b.alarmTopic())
			composite.AddAlarmAction(action)
			composite.AddOkAction(action)
		}
	}
}

// shortDuration is 60 → "1h", 5 → "5m", 360 → "6h".
func shortDuration(min float64) string {
	if math.Mod(min, 60) == 0 {
		return fmt.Sprintf("%gh", min/60)
	}
	return fmt.Sprintf("%gm", min)
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}
