begin;
select plan(9);

-- SETUP: one alert at tier 1 with one delivery (oncall), scoped to this test's workspace
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal(raised_at => '2026-01-01 00:00:00+00');
select tests.authenticate_as_service_role();
create temporary table claims (claimer text, body jsonb) on commit drop;
insert into claims (claimer, body)
select
    'd1' as claimer,
    public.claim_deliveries('d1', 500, 30, '2026-01-01 00:00:01+00') -> 'deliveries' as body;
insert into claims (claimer, body)
select
    'd2' as claimer,
    public.claim_deliveries('d2', 500, 30, '2026-01-01 00:00:02+00') -> 'deliveries' as body;
select d.value ->> 'lease_token' as first_token
from claims as c, jsonb_array_elements(c.body) as d (value)
where c.claimer = 'd1' and d.value ->> 'alert_id' = (tests.alert()).id::text \gset

-- TEST: two claimers never get the same delivery
select is(
    (select count(*)::integer from claims as c, jsonb_array_elements(c.body) as d (value)
        where d.value ->> 'alert_id' = (tests.alert()).id::text),
    1, 'the delivery went to one claimer only'
);
select is(
    (select d.value -> 'target' from claims as c, jsonb_array_elements(c.body) as d (value)
        where c.claimer = 'd1' and d.value ->> 'alert_id' = (tests.alert()).id::text),
    '{"kind": "webhook", "name": "oncall", "url_secret": "ONCALL_URL", "signing_secret": "ONCALL_KEY"}'::jsonb,  -- pragma: allowlist secret
    'the claim gives the target with its secret names'
);

-- TEST: an expired lease is claimable again, with a new token; the lost attempt is recorded
select d.value ->> 'lease_token' as second_token
from jsonb_array_elements(public.claim_deliveries('d3', 500, 30, '2026-01-01 00:01:00+00') -> 'deliveries') as d (value)
where d.value ->> 'alert_id' = (tests.alert()).id::text \gset
select isnt(:'second_token'::text, :'first_token'::text, 'the expired lease is claimed again with a new token');
select is(
    (select alert_delivery_attempts.outcome from alert_delivery_attempts where alert_delivery_attempts.lease_token = :'first_token'),
    'expired', 'the attempt of the crashed dispatcher is recorded as expired'
);

-- TEST: the stale token is rejected and changes nothing
select is(
    public.finish_delivery(:'first_token', 'sent', 200, 12, null, '2026-01-01 00:01:01+00') ->> 'outcome',
    'rejected', 'a report with a stale lease token is rejected'
);
select is((select alert_deliveries.status from public.alert_deliveries where alert_deliveries.lease_token = :'second_token'), 'leased',
    'the delivery still belongs to its current holder');

-- TEST: the holder's report settles it; the same report again is a duplicate
select is(
    public.finish_delivery(:'second_token', 'sent', 200, 12, null, '2026-01-01 00:01:02+00') ->> 'outcome',
    'accepted', 'the current holder''s report is accepted'
);
select is(
    public.finish_delivery(:'second_token', 'sent', 200, 12, null, '2026-01-01 00:01:03+00') ->> 'outcome',
    'duplicate', 'the same report again is a duplicate'
);
select is(
    (select alert_deliveries.status || ' ' || alert_deliveries.attempts from public.alert_deliveries where alert_deliveries.lease_token = :'second_token'),
    'sent 2', 'the delivery is sent after 2 attempts'
);

select * from finish();
rollback;
