begin;
select plan(7);

-- SETUP
-- One call, five kinds of item: live, already succeeded, dead (requeued; its backoff keeps it out
-- of the claims below), never started, unknown.
select tests.seed();
select * from tests.dead_lease() \gset dead_
select tests.reset_role();
select tests.submit_run(tests.workspace_id(), 'etl') from generate_series(1, 2);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select jsonb_agg(c.lease_token order by c.run_id) as started
from public.claim_runs(:'dead_executor_id', 2, start => true) as c \gset
select public.complete_run((:'started'::jsonb ->> 1)::uuid);
select tests.reset_role();
select tests.submit_run(tests.workspace_id(), 'etl', -1);
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select c.lease_token as claimed from public.claim_runs(:'dead_executor_id', 5) as c \gset

-- TEST: each item gets its own answer and the call itself succeeds
select results_eq(
    format(
        $$
        select r.outcome, r.code, r.run_status from public.complete_runs(
            %L,
            jsonb_build_array(
                jsonb_build_object('lease', %L::jsonb -> 0,
                    'events', jsonb_build_array(jsonb_build_object('type', 'log'))),
                jsonb_build_object('lease', %L::jsonb -> 1),
                jsonb_build_object('lease', %L,
                    'events', jsonb_build_array(jsonb_build_object('type', 'log'))),
                jsonb_build_object('lease', %L),
                jsonb_build_object('lease', gen_random_uuid())
            )
        ) as r
        $$,
        :'dead_executor_id', :'started', :'started', :'dead_lease', :'claimed'
    ),
    $$ values
        ('accepted'::text, null::text, 'succeeded'::text),
        ('duplicate', null, 'succeeded'),
        ('rejected', 'PT409', 'queued'),
        ('not_started', 'PT422', 'claimed'),
        ('not_found', 'PT404', null) $$,
    'each item gets its own answer'
);
select is(nullif(current_setting('response.status', true), ''), null, 'the call itself is not an error (HTTP 200)');

-- TEST: the dead lease is recorded, and its events are not stored
select tests.reset_role();
select results_eq(
    format(
        $$
        select e.attempt_id, e.payload ->> 'rpc', e.payload ->> 'attempt_status', e.payload ->> 'run_status'
        from public.run_events as e
        where e.run_id = %L and e.type = 'lease.rejected'
        $$,
        :'dead_run_id'
    ),
    format($$ values (%L::uuid, 'complete_runs'::text, 'lost'::text, 'queued'::text) $$, :'dead_attempt_id'),
    'the dead lease is recorded'
);
select is(
    (select count(*)::integer from public.run_events as e
    where e.run_id = :'dead_run_id' and e.source = 'executor'),
    0, 'and its events are not stored'
);
select is((tests.attempt(:'dead_lease')).status, 'lost', 'the dead attempt stays lost');

-- TEST: the unstarted attempt is unchanged
select is((tests.attempt(:'claimed')).status, 'claimed', 'the unstarted attempt is unchanged');
select is(
    (select count(*)::integer from public.run_events as e
    where e.attempt_id = (tests.attempt(:'claimed')).id),
    0, 'and gets no events'
);

select * from finish();
rollback;
