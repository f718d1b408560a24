begin;
select plan(6);

-- SETUP
-- Three running attempts; their leases in a JSON array ordered by run id.
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl') from generate_series(1, 3);
select tests.executor(tests.workspace_id()) as executor_id \gset
select jsonb_agg(c.lease_token order by c.run_id) as leases
from public.claim_runs(:'executor_id', 3, start => true) as c \gset

-- TEST: every item of the batch is accepted, in order, with its events
select results_eq(
    format(
        $$
        select r.item, r.outcome, r.code, r.run_status, r.attempt_status, r.events_accepted
        from public.complete_runs(
            %L,
            (select jsonb_agg(jsonb_build_object(
                'lease', l.value, 'result', jsonb_build_object('n', l.ordinality),
                'events', jsonb_build_array(
                    jsonb_build_object('type', 'phase.finished', 'seq', 0, 'phase', 'main'),
                    jsonb_build_object('type', 'log', 'seq', 1, 'message', 'done')
                )
            ) order by l.ordinality)
            from jsonb_array_elements(%L::jsonb) with ordinality as l (value, ordinality))
        ) as r
        $$,
        :'executor_id', :'leases'
    ),
    $$ values
        (0, 'accepted'::text, null::text, 'succeeded'::text, 'succeeded'::text, 2),
        (1, 'accepted', null, 'succeeded', 'succeeded', 2),
        (2, 'accepted', null, 'succeeded', 'succeeded', 2) $$,
    'every item is accepted, in order, with its events counted'
);

-- TEST: the runs succeeded with their own results, events and audit
select tests.reset_role();
select is(
    (select count(*)::integer from public.runs as r where r.pool = tests.pool() and r.status = 'succeeded'
        and r.finished_at is not null),
    3, 'the three runs succeeded'
);
select is(
    (select array_agg((a.result ->> 'n')::integer order by a.result ->> 'n')
    from public.run_attempts as a
    where a.lease_token in (select l.value::uuid from jsonb_array_elements_text(:'leases'::jsonb) as l (value))),
    array[1, 2, 3], 'each attempt keeps its own result'
);
select is(
    (select count(*)::integer from public.run_events as e
    inner join public.runs as r on e.run_id = r.id
    where r.pool = tests.pool() and e.source = 'executor'),
    6, 'the last events are stored'
);
select is(
    (select count(*)::integer from public.run_transitions as t
    inner join public.runs as r on t.run_id = r.id
    where r.pool = tests.pool() and t.to_status = 'succeeded' and t.reason = 'succeeded (attempt 1)'),
    3, 'each completion is audited'
);

-- TEST: sending the batch again is a duplicate
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
select results_eq(
    format(
        $$
        select r.outcome, r.events_accepted from public.complete_runs(
            %L,
            jsonb_build_array(jsonb_build_object(
                'lease', %L::jsonb -> 0,
                'events', jsonb_build_array(jsonb_build_object('type', 'log', 'seq', 1))
            ))
        ) as r
        $$,
        :'executor_id', :'leases'
    ),
    $$ values ('duplicate'::text, 0) $$,
    'sending the batch again is a duplicate and stores nothing'
);

select * from finish();
rollback;
