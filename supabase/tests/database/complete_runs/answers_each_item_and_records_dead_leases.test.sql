begin;
select plan(7);

-- One call, five kinds of item: live, already succeeded, dead (requeued; its backoff keeps it out
-- of the claims below), never started, unknown.
select tests.seed();
select set_config('t.dead_run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.executor', tests.executor(tests.workspace_id())::text, true);
select set_config('t.dead', tests.claim(current_setting('t.executor')::uuid, now() - interval '1 hour')::text, true);
select tests.reset_role();
select public.requeue_stale_runs(null, tests.workspace_id());
select tests.submit_run(tests.workspace_id(), 'etl') from generate_series(1, 2);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select set_config(
    't.started',
    (select jsonb_agg(c.lease_token order by c.run_id)::text
    from public.claim_runs(current_setting('t.executor')::uuid, 2, start => true) as c),
    true
);
select public.complete_run((current_setting('t.started')::jsonb ->> 1)::uuid);
select tests.reset_role();
select tests.submit_run(tests.workspace_id(), 'etl', -1);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select set_config(
    't.claimed',
    (select c.lease_token::text from public.claim_runs(current_setting('t.executor')::uuid, 5) as c),
    true
);

select results_eq(
    $$
    select r.outcome, r.code, r.run_status from public.complete_runs(
        current_setting('t.executor')::uuid,
        jsonb_build_array(
            jsonb_build_object('lease', current_setting('t.started')::jsonb -> 0,
                'events', jsonb_build_array(jsonb_build_object('type', 'log'))),
            jsonb_build_object('lease', current_setting('t.started')::jsonb -> 1),
            jsonb_build_object('lease', current_setting('t.dead'),
                'events', jsonb_build_array(jsonb_build_object('type', 'log'))),
            jsonb_build_object('lease', current_setting('t.claimed')),
            jsonb_build_object('lease', gen_random_uuid())
        )
    ) as r
    $$,
    $$ values
        ('accepted'::text, null::text, 'succeeded'::text),
        ('duplicate', null, 'succeeded'),
        ('rejected', 'PT409', 'queued'),
        ('not_started', 'PT422', 'claimed'),
        ('not_found', 'PT404', null) $$,
    'each item gets its own answer'
);
select is(nullif(current_setting('response.status', true), ''), null, 'the call itself is not an error (HTTP 200)');

select tests.reset_role();
select results_eq(
    $$
    select e.attempt_id, e.payload ->> 'rpc', e.payload ->> 'attempt_status', e.payload ->> 'run_status'
    from public.run_events as e
    where e.run_id = current_setting('t.dead_run')::uuid and e.type = 'lease.rejected'
    $$,
    $$ values ((tests.attempt(current_setting('t.dead')::uuid)).id, 'complete_runs'::text, 'lost'::text, 'queued'::text) $$,
    'the dead lease is recorded'
);
select is(
    (select count(*)::integer from public.run_events as e
    where e.run_id = current_setting('t.dead_run')::uuid and e.source = 'executor'),
    0, 'and its events are not stored'
);
select is((tests.attempt(current_setting('t.dead')::uuid)).status, 'lost', 'the dead attempt stays lost');
select is((tests.attempt(current_setting('t.claimed')::uuid)).status, 'claimed', 'the unstarted attempt is unchanged');
select is(
    (select count(*)::integer from public.run_events as e
    where e.attempt_id = (tests.attempt(current_setting('t.claimed')::uuid)).id),
    0, 'and gets no events'
);

select * from finish();
rollback;
