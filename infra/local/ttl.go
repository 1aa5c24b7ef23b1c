package local

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/kiosk-news/kiosk/infra/topology"
	"github.com/kiosk-news/kiosk/shared/platform/parallel"
)

// DefaultTTLDelay is how long after its expiry the local cloud deletes an
// item unless told otherwise: DynamoDB deletes expired items in the
// background, usually within minutes and sometimes days, so a read path that
// forgets to filter expired items shows it in make dev too.
const DefaultTTLDelay = 15 * time.Minute

// ttlWorkers is how many deletes a sweep has in flight.
const ttlWorkers = 8

// DefaultTTLEvery is how often, in real time, the sweeper looks for expired
// items unless told otherwise.
const DefaultTTLEvery = 30 * time.Second

// ttlSweeper deletes expired items as DynamoDB's Time to Live does: for every
// table the topology gives a TTL attribute, an item whose attribute (a
// number, epoch seconds) is more than delay in the past of the cloud's clock
// is deleted, each delete conditioned on the item still being expired (an
// item extended meanwhile stays), items expired more than five years ago
// untouched, as in DynamoDB. It runs in the background and, synchronously,
// after the virtual clock moves, so a test that advances the clock sees the
// deletions deterministically.
type ttlSweeper struct {
	db     *dynamodb.Client // dynalite itself: deletes are not a function's calls
	tables []topology.Table
	name   func(string) string
	now    func() time.Time
	delay  time.Duration

	mu      sync.Mutex // one sweep at a time
	deleted atomic.Int64
	sweeps  atomic.Int64
}

func newTTLSweeper(db *dynamodb.Client, cloud topology.Cloud, name func(string) string, now func() time.Time, delay time.Duration) *ttlSweeper {
	s := &ttlSweeper{db: db, name: name, now: now, delay: delay}
	for _, t := range cloud.Tables {
		if t.TTL != "" {
			s.tables = append(s.tables, t)
		}
	}
	return s
}

// run sweeps every interval until ctx ends; a negative interval never.
func (s *ttlSweeper) run(ctx context.Context, every time.Duration) {
	if every < 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, _ = s.sweep(ctx)
		}
	}
}

// sweep deletes what has expired by now, returning the deletions per table.
func (s *ttlSweeper) sweep(ctx context.Context) (map[string]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweeps.Add(1)
	now := s.now()
	cutoff := now.Add(-s.delay).Unix()
	floor := now.AddDate(-5, 0, 0).Unix()
	out := map[string]int{}
	var errs []error
	for _, t := range s.tables {
		n, err := s.sweepTable(ctx, t, cutoff, floor)
		if n > 0 {
			out[t.Name] = n
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("ttl %s: %w", t.Name, err))
		}
	}
	return out, errors.Join(errs...)
}

func (s *ttlSweeper) sweepTable(ctx context.Context, t topology.Table, cutoff, floor int64) (int, error) {
	table := s.name(t.Name)
	names := map[string]string{"#ttl": t.TTL}
	keys := "#pk"
	names["#pk"] = t.PartitionKey.Name
	if t.SortKey != nil {
		keys += ", #sk"
		names["#sk"] = t.SortKey.Name
	}
	values := map[string]types.AttributeValue{
		":cut":   &types.AttributeValueMemberN{Value: strconv.FormatInt(cutoff, 10)},
		":floor": &types.AttributeValueMemberN{Value: strconv.FormatInt(floor, 10)},
	}
	n := 0
	var start map[string]types.AttributeValue
	for {
		out, err := s.db.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 aws.String(table),
			FilterExpression:          aws.String("#ttl < :cut AND #ttl > :floor"),
			ProjectionExpression:      aws.String(keys),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return n, err
		}
		// Conditional deletes, a few at a time (BatchWriteItem takes no
		// conditions): a 40-day jump deletes tens of thousands of items.
		var mu sync.Mutex
		var errs []error
		parallel.Each(out.Items, ttlWorkers, func(_ int, key map[string]types.AttributeValue) {
			_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName:                 aws.String(table),
				Key:                       key,
				ConditionExpression:       aws.String("#ttl < :cut AND #ttl > :floor"),
				ExpressionAttributeNames:  map[string]string{"#ttl": t.TTL},
				ExpressionAttributeValues: values,
			})
			var cond *types.ConditionalCheckFailedException
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.As(err, &cond): // extended or deleted meanwhile
			case err != nil:
				errs = append(errs, err)
			default:
				n++
				s.deleted.Add(1)
			}
		})
		if len(errs) > 0 {
			return n, errs[0]
		}
		if len(out.LastEvaluatedKey) == 0 {
			return n, nil
		}
		start = out.LastEvaluatedKey
	}
}
