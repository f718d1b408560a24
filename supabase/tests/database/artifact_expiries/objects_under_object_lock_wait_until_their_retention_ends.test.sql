begin;
select plan(7);

-- SETUP
-- One due artifact whose object is still under Object Lock retention for ten more days.
select tests.seed();
select * from tests.registered_artifact() \gset
select tests.reset_role();
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 1);
select public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '2 days') -> 'expiries' -> 0 ->> 'lease_token' as token \gset

-- TEST: a locked object is deferred until its retain-until date, and the refusal is recorded
select is(
    public.confirm_artifact_expiries(
        jsonb_build_array(jsonb_build_object(
            'artifact_id', :'artifact_id', 'lease_token', :'token', 'outcome', 'locked',
            'retain_until', (now() + interval '12 days')::text, 'error', 'Object Lock COMPLIANCE retention'
        )),
        now() + interval '2 days'
    ) -> 'results' -> 0,
    jsonb_build_object('artifact_id', :'artifact_id', 'outcome', 'accepted', 'recorded', 'deferred', 'retry_at', now() + interval '12 days'),
    'accepted as deferred, retried when the retention ends'
);
select results_eq(
    format($$ select q.status, q.last_outcome, q.retain_until, q.last_error from public.artifact_expiry_queue as q
        where q.artifact_id = %L $$, :'artifact_id'),
    $$ values ('pending'::text, 'locked'::text, now() + interval '12 days', 'Object Lock COMPLIANCE retention'::text) $$,
    'the queue records why and until when'
);
select is(
    (select count(*)::integer from public.artifact_expiries as x where x.artifact_id = :'artifact_id'), 0,
    'nothing is recorded as expired'
);
select is(
    public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '11 days') -> 'expiries', '[]'::jsonb,
    'not claimed again while locked'
);

-- TEST: after the retention it is claimed again; a failed delete backs off 2^attempts minutes
select public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '12 days 1 second') -> 'expiries' -> 0 ->> 'lease_token'
    as second_token \gset
select isnt(:'second_token'::text, null::text, 'claimed again once the retention has ended');
select is(
    public.confirm_artifact_expiries(
        jsonb_build_array(jsonb_build_object(
            'artifact_id', :'artifact_id', 'lease_token', :'second_token', 'outcome', 'failed', 'error', 'SlowDown'
        )),
        now() + interval '12 days 2 seconds'
    ) -> 'results' -> 0 ->> 'retry_at',
    to_jsonb(now() + interval '12 days 2 seconds' + interval '4 minutes') #>> '{}',
    'a failure after two attempts is retried four minutes later'
);
select is(
    (select q.last_outcome from public.artifact_expiry_queue as q where q.artifact_id = :'artifact_id'), 'failed',
    'and recorded as failed'
);

select * from finish();
rollback;
