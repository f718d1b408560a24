begin;
select plan(5);

-- SETUP
select tests.seed();
select tests.publish_routes(tests.routes('[{"name": "all", "escalation": [{"targets": ["oncall"]}]}]'));
select tests.raise_signal(raised_at => '2026-01-01 00:00:00+00');
select tests.authenticate_as_service_role();
select d.value ->> 'lease_token' as token
from jsonb_array_elements(public.claim_deliveries('d1', 500, 30, '2026-01-01 00:00:00+00') -> 'deliveries') as d (value)
where d.value ->> 'alert_id' = (tests.alert()).id::text \gset
select public.finish_delivery(:'token', 'failed', 500, 40, 'HTTP 500', '2026-01-01 00:00:01+00') as reply \gset

-- TEST: a failure is recorded and retried after 2 s, then 4 s
select is((:'reply'::jsonb) ->> 'status', 'failed', 'a failed attempt leaves the delivery failed');
select is((:'reply'::jsonb) ->> 'next_attempt_at', '2026-01-01T00:00:03+00:00', 'retried 2 s later');
select is(
    (select alert_delivery_attempts.status_code || ' ' || alert_delivery_attempts.latency_ms || ' ' || alert_delivery_attempts.error from public.alert_delivery_attempts where alert_delivery_attempts.lease_token = :'token'),
    '500 40 HTTP 500', 'the attempt is recorded with status, latency and error'
);

-- TEST: after 8 attempts it is dead
do $$
declare
    v_token uuid;
    v_at timestamptz := '2026-01-01 01:00:00+00';
begin
    for i in 2..8 loop
        select (d.value ->> 'lease_token')::uuid into v_token
        from jsonb_array_elements(public.claim_deliveries('d1', 500, 30, v_at) -> 'deliveries') as d (value)
        where d.value ->> 'alert_id' = (tests.alert()).id::text;
        perform public.finish_delivery(v_token, 'failed', null, 5000, 'timeout', v_at);
        v_at := v_at + interval '10 minutes';
    end loop;
end
$$;
select is(
    (select alert_deliveries.status || ' ' || alert_deliveries.attempts from public.alert_deliveries where alert_deliveries.alert_id = (tests.alert()).id),
    'dead 8', 'after 8 failed attempts the delivery is dead'
);
select is(
    (select count(*)::integer
        from jsonb_array_elements(public.claim_deliveries('d1', 500, 30, '2026-01-02 00:00:00+00') -> 'deliveries') as d (value)
        where d.value ->> 'alert_id' = (tests.alert()).id::text),
    0, 'a dead delivery is never claimed'
);

select * from finish();
rollback;
