package stack

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/contract"
)

// xrayPolicy is the AWS managed policy that lets a function send traces.
const xrayPolicy = "AWSXRayDaemonWriteAccess"

// built is what operator functions need of the others.
type built struct {
	logs  awslogs.LogGroup
	fn    awslambda.Function
	role  awsiam.Role
	alias awslambda.Alias
	dlq   awssqs.IQueue // nil for synchronous functions
}

func attrType(t topology.KeyType) awsdynamodb.AttributeType {
	switch t {
	case topology.Number:
		return awsdynamodb.AttributeType_NUMBER
	case topology.Binary:
		return awsdynamodb.AttributeType_BINARY
	}
	return awsdynamodb.AttributeType_STRING
}

func attr(k *topology.Key) *awsdynamodb.Attribute {
	if k == nil {
		return nil
	}
	return &awsdynamodb.Attribute{Name: jsii.String(k.Name), Type: attrType(k.Type)}
}

// buildTables creates the tables the stack owns and publishes their names.
func (b *builder) buildTables() {
	for _, t := range b.cloud.TablesOf(b.name) {
		props := &awsdynamodb.TableProps{
			PartitionKey:  attr(&t.PartitionKey),
			SortKey:       attr(t.SortKey),
			BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
			RemovalPolicy: b.removal,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			DeletionProtection: jsii.Bool(b.prod),
		}
		if t.TTL != "" {
			props.TimeToLiveAttribute = jsii.String(t.TTL)
		}
		table := awsdynamodb.NewTable(b.stack, jsii.String(LogicalID(t.Name)+"Table"), props)
		for _, ix := range t.Indexes {
			table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(&ix.PartitionKey),
				SortKey:        attr(ix.SortKey),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			})
		}
		b.tables[t.Name] = table
		b.publish(table.TableName(), "table "+t.Name, "table", t.Name)
		b.output(LogicalID(t.Name)+"TableName", table.TableName(), "table "+t.Name)
	}
}

func (b *builder) retention() awslogs.RetentionDays {
	if b.prod {
		return awslogs.RetentionDays_THREE_MONTHS
	}
	return awslogs.RetentionDays_ONE_MONTH
}

func (b *builder) buildFunction(f topology.Function) awslambda.Alias {
	id := LogicalID(f.Name)
	logs := awslogs.NewLogGroup(b.stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention: b.retention(), RemovalPolicy: b.removal,
	})
	role := awsiam.NewRole(b.stack, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("least privilege for " + f.Name + ", from the topology"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logs.LogGroupArn()},
	}))
	// Active tracing sends segments to X-Ray, whose PutTraceSegments has no
	// resource-level permission: AWS's managed policy is the grant.
	role.AddManagedPolicy(awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String(xrayPolicy)))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String("AWSXRayDaemonWriteAccess is AWS's grant for active tracing (X-Ray's PutTraceSegments takes no resource)"),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/" + xrayPolicy},
	}}, jsii.Bool(true))
	for _, g := range f.Grants {
		role.AddToPolicy(tableStatement(b.table(g.Table), tableIndexes(b.cloud, g.Table), g.Access))
	}
	for _, sc := range f.Secrets {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: &[]*string{b.secret(sc)},
		}))
	}
	bus := ""
	if len(f.Publishes) > 0 {
		// Only the declared detail types (the local bus checks the same).
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("events:PutEvents"),
			Resources:  &[]*string{b.eventBus().EventBusArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{"events:detail-type": f.Publishes}},
		}))
		bus = *b.eventBus().EventBusName()
	}

	env := map[string]*string{}
	for k, v := range b.cloud.FunctionEnv(f,
		func(t string) string { return *b.table(t).TableName() },
		func(sc string) string { return *b.secret(sc) },
		bus,
	) {
		env[k] = jsii.String(v)
	}
	if _, ok := env[contract.PublicAPIEnv]; ok {
		// The API's $default stage URL, from the id the platform stack published.
		env[contract.PublicAPIEnv] = awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), b.read("api", "id"),
			jsii.String(".execute-api."), b.stack.Region(), jsii.String("."), b.stack.UrlSuffix()})
	}
	env[contract.MetricsNamespaceEnv] = jsii.String(b.namespace())
	var reserved *float64
	if f.Concurrency > 0 {
		reserved = jsii.Number(float64(f.Concurrency))
	}
	fn := awslambda.NewFunction(b.stack, jsii.String(id), &awslambda.FunctionProps{
		FunctionName:                 jsii.String(b.physical(f.Name)),
		ReservedConcurrentExecutions: reserved,
		Description:                  jsii.String(f.Description),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         awslambda.Code_FromAsset(jsii.String(filepath.Join(b.props.Dist, f.Name+".zip")), nil),
		MemorySize:                   jsii.Number(float64(f.MemoryMB)),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(f.Timeout.Seconds())),
		Environment:                  &env,
		Role:                         role,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		LogGroup:                     logs,
	})
	// Active tracing, set on the resource: CDK's Tracing prop would also add
	// its own inline '*' statement beside the managed policy above.
	fn.Node().DefaultChild().(awslambda.CfnFunction).SetTracingConfig(&awslambda.CfnFunction_TracingConfigProperty{Mode: jsii.String("Active")})
	// `live` is the old `current` symlink: every trigger targets it, each deploy
	// publishes a new version and moves it, and a rollback moves it back.
	alias := awslambda.NewAlias(b.stack, jsii.String(id+"Live"), &awslambda.AliasProps{
		AliasName: jsii.String("live"),
		Version:   fn.CurrentVersion(),
	})
	b.output(id+"FunctionName", fn.FunctionName(), f.Name+": the Lambda whose live alias every trigger calls (roll back by moving it)")
	var suppress []*cdknag.NagPackSuppression

	for _, r := range f.Routes {
		b.addRoute(id, alias, r)
	}
	if len(f.Routes) > 0 {
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("invoked synchronously by API Gateway: a failure is returned to the caller, there is nothing to dead-letter"),
		})
	}
	var dlq awssqs.Queue
	if f.Async() {
		dlq = b.deadLetterQueue(id, f.Name)
		alias.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			RetryAttempts: jsii.Number(asyncRetries),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
			OnFailure:     awslambdadestinations.NewSqsDestination(dlq),
		})
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("failed asynchronous invocations go to an on-failure destination (this function's SQS queue), which records more than a DLQ"),
		})
		target := func() awsevents.IRuleTarget {
			return awseventstargets.NewLambdaFunction(alias, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: dlq,
				RetryAttempts:   jsii.Number(targetRetries),
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
			})
		}
		for i, sc := range f.Schedules {
			awsevents.NewRule(b.stack, jsii.String(fmt.Sprintf("%sSchedule%d", id, i)), &awsevents.RuleProps{
				Description: jsii.String(f.Name + ": " + sc.Description),
				Schedule:    awsevents.Schedule_Expression(jsii.String(sc.Expression)),
				Targets:     &[]awsevents.IRuleTarget{target()},
			})
		}
		for _, r := range f.Rules {
			// On the platform's bus, whichever stack the function is in.
			rule := awsevents.NewRule(b.stack, jsii.String(id+LogicalID(r.Name)+"Rule"), &awsevents.RuleProps{
				Description:  jsii.String(f.Name + ": " + r.Name),
				EventBus:     b.eventBus(),
				EventPattern: &awsevents.EventPattern{Source: jsii.Strings("placeholder")},
				Targets:      &[]awsevents.IRuleTarget{target()},
			})
			// The topology's pattern verbatim: EventBridge reads the same JSON the
			// local bus matched.
			rule.Node().DefaultChild().(awsevents.CfnRule).AddPropertyOverride(jsii.String("EventPattern"), patternJSON(r.Pattern()))
		}
		// Operators in other stacks find the alias and the queue here.
		b.publish(alias.FunctionArn(), f.Name+": its live alias, for operators", "function", f.Name, "live")
		b.publish(dlq.QueueArn(), f.Name+": its dead-letter queue, for operators", "function", f.Name, "dlq")
	}
	if b.invoked(f.Name) {
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("invoked synchronously by the functions that list it in Invokes: a failure is returned to the caller, there is nothing to dead-letter"),
		})
	}
	if f.Name == b.cloud.Authorizer {
		suppress = append(suppress, &cdknag.NagPackSuppression{
			Id:     jsii.String("Serverless-LambdaDLQ"),
			Reason: jsii.String("the authorizer is invoked synchronously by API Gateway; a failure denies the request"),
		})
	}
	if len(suppress) > 0 {
		cdknag.NagSuppressions_AddResourceSuppressions(fn, &suppress, jsii.Bool(true))
	}
	b.monitor(id, f, fn)
	b.built[f.Name] = built{logs: logs, fn: fn, role: role, alias: alias, dlq: dlq}
	b.order = append(b.order, f.Name)
	return alias
}

// wireOperators gives each operator function of the stack
// (topology.Function.Operator) every asynchronous function's live alias and
// dead-letter queue in OperationsEnv — this stack's directly, other stacks'
// from the SSM parameters they published — and exactly the rights to invoke
// those aliases and to read and delete those queues' messages.
func (b *builder) wireOperators() {
	var operators []topology.Function
	for _, f := range b.cloud.FunctionsOf(b.name) {
		if f.Operator {
			operators = append(operators, f)
		}
	}
	if len(operators) == 0 {
		return
	}
	functions, queues := map[string]*string{}, map[string]*string{}
	ops := map[string]any{"functions": functions, "queues": queues, "batches": b.cloud.BatchList()}
	var aliasArns, queueArns []*string
	for _, f := range b.cloud.Functions {
		if !f.Async() {
			continue
		}
		alias, queue := b.asyncRefs(f)
		functions[f.Name] = alias
		queues[f.Name] = queue.QueueUrl()
		aliasArns = append(aliasArns, alias)
		queueArns = append(queueArns, queue.QueueArn())
	}
	for _, f := range operators {
		bf := b.built[f.Name]
		bf.fn.AddEnvironment(jsii.String(topology.OperationsEnv), b.stack.ToJsonString(ops, nil), nil)
		bf.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("lambda:InvokeFunction"), Resources: &aliasArns,
		}))
		bf.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"), Resources: &queueArns,
		}))
	}
}

// invoked reports whether a function of the cloud invokes fn synchronously.
func (b *builder) invoked(fn string) bool {
	for _, f := range b.cloud.Functions {
		if slices.Contains(f.Invokes, fn) {
			return true
		}
	}
	return false
}

// wireInvokes gives each function of the stack that invokes others
// (topology.Function.Invokes; Validate keeps them in one stack) each target's
// live alias ARN in contract.InvokeEnv and the right to invoke exactly that
// alias. The invoked function's own role gets nothing for it.
func (b *builder) wireInvokes() {
	for _, f := range b.cloud.FunctionsOf(b.name) {
		bf := b.built[f.Name]
		for _, name := range f.Invokes {
			target := b.built[name].alias.FunctionArn()
			bf.fn.AddEnvironment(jsii.String(contract.InvokeEnv(name)), target, nil)
			bf.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("lambda:InvokeFunction"), Resources: &[]*string{target},
			}))
		}
	}
}

// asyncRefs is an asynchronous function's live alias ARN and dead-letter
// queue, from this stack or read from the stack that built it.
func (b *builder) asyncRefs(f topology.Function) (*string, awssqs.IQueue) {
	if bf, ok := b.built[f.Name]; ok {
		return bf.alias.FunctionArn(), bf.dlq
	}
	return b.read("function", f.Name, "live"),
		awssqs.Queue_FromQueueArn(b.stack, jsii.String(LogicalID(f.Name)+"DlqRef"), b.read("function", f.Name, "dlq"))
}

// tableStatement grants exactly the actions an access level needs on a table
// and its declared indexes (topology.DynamoActions, which the local cloud
// enforces too); no wildcard resource.
func tableStatement(t awsdynamodb.ITable, indexes []string, access topology.Access) awsiam.PolicyStatement {
	var actions []string
	for _, a := range topology.DynamoActions(access) {
		actions = append(actions, "dynamodb:"+a)
	}
	resources := []*string{t.TableArn()}
	if access != topology.Write {
		for _, ix := range indexes {
			resources = append(resources, jsii.String(*t.TableArn()+"/index/"+ix))
		}
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources})
}

func tableIndexes(c topology.Cloud, table string) []string {
	t, _ := c.Table(table)
	var out []string
	for _, ix := range t.Indexes {
		out = append(out, ix.Name)
	}
	return out
}

// addRoute puts a route on the platform's HTTP API, integrated with the
// function's live alias (the invoke permission, scoped to the route, is in
// this stack) and guarded by the platform's authorizer for its auth mode.
func (b *builder) addRoute(id string, alias awslambda.Alias, r topology.Route) {
	rid := id + LogicalID(strings.ToLower(r.Method)) + routeID(r.Path)
	integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(rid), alias, nil)
	route := awsapigatewayv2.NewHttpRoute(b.stack, jsii.String(rid+"Route"), &awsapigatewayv2.HttpRouteProps{
		HttpApi:     b.httpAPI(),
		RouteKey:    awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), awsapigatewayv2.HttpMethod(r.Method)),
		Integration: integration,
		Authorizer:  b.authorizer(r.Auth), // nil for public and console routes
	})
	if !r.Auth.Authorized() {
		reason := r.Key() + " is declared public in the topology: anyone may call it"
		if r.Auth == topology.Console {
			reason = r.Key() + " is an admin console page: the function checks the session cookie and CSRF token itself"
		}
		cdknag.NagSuppressions_AddResourceSuppressions(route, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-APIG4"),
			Reason: jsii.String(reason),
		}}, jsii.Bool(true))
	}
}

func routeID(path string) string {
	var b strings.Builder
	for _, seg := range strings.Split(path, "/") {
		seg = strings.Trim(seg, "{}+")
		seg = strings.NewReplacer(".", "", "_", "-").Replace(seg)
		b.WriteString(LogicalID(seg))
	}
	return b.String()
}

func (b *builder) deadLetterQueue(id, name string) awssqs.Queue {
	q := awssqs.NewQueue(b.stack, jsii.String(id+"Dlq"), &awssqs.QueueProps{
		QueueName:       jsii.String(b.physical(name) + "-dlq"),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		RemovalPolicy:   b.removal,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(q, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-SQS3"), Reason: jsii.String("this queue is itself a dead-letter queue")},
		{Id: jsii.String("Serverless-SQSRedrivePolicy"), Reason: jsii.String("this queue is itself a dead-letter queue")},
	}, jsii.Bool(true))
	b.alarm(id+"DlqDepthAlarm", &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(id + ": events failed delivery and wait in the dead-letter queue — runbook: README #" + topology.DeadLetterRunbook),
		Metric:             q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return q
}

// alarm creates an alarm that notifies the platform's alarm topic when it
// fires and when it clears.
func (b *builder) alarm(id string, props *awscloudwatch.AlarmProps) {
	a := awscloudwatch.NewAlarm(b.stack, jsii.String(id), props)
	action := awscloudwatchactions.NewSnsAction(b.alarmTopic())
	a.AddAlarmAction(action)
	a.AddOkAction(action)
}

// monitor adds the function's alarms and its row on the stack's dashboard.
func (b *builder) monitor(id string, f topology.Function, fn awslambda.Function) {
	period := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}
	errors := fn.MetricErrors(period)
	throttles := fn.MetricThrottles(period)
	p99 := fn.MetricDuration(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("p99")})
	alarm := func(name string, m awscloudwatch.IMetric, threshold float64, what string) {
		b.alarm(id+name+"Alarm", &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(f.Name + ": " + what + " — runbook: README #" + topology.FunctionRunbook),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	alarm("Errors", errors, 1, "invocations failed")
	alarm("Throttles", throttles, 1, "invocations were throttled")
	alarm("Duration", p99, f.Timeout.Seconds()*1000*0.8, "p99 duration reached 80% of the timeout")
	b.dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(f.Name + ": invocations, errors, throttles"),
			Left:  &[]awscloudwatch.IMetric{fn.MetricInvocations(period), errors, throttles},
			Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(f.Name + ": duration p99 (ms)"),
			Left:  &[]awscloudwatch.IMetric{p99},
			Width: jsii.Number(12),
		}),
	)
}

// newDashboard gives the stack its dashboard, named after the stack; each
// function adds its row (monitor).
func (b *builder) newDashboard() {
	b.dashboard = awscloudwatch.NewDashboard(b.stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: b.stack.StackName(),
	})
	b.output("DashboardUrl", jsii.String(fmt.Sprintf("https://console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s",
		*b.stack.Region(), *b.stack.StackName())), "the CloudWatch dashboard of "+*b.stack.StackName())
}

// patternJSON decodes a validated topology pattern for the CloudFormation template.
func patternJSON(src string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		panic(fmt.Sprintf("pattern passed Validate but is not JSON: %v", err))
	}
	return m
}
