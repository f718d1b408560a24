begin;
select plan(4);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: "phase": null is stored as a run-level event, with the rest of its batch
select is(
    (public.emit_events(:'lease', '[{"type": "artifact.failed", "phase": null}, {"type": "log", "phase": "load"}]')
        ->> 'accepted')::integer,
    2,
    'a batch with a null phase is stored whole'
);

-- TEST: a phase that is neither null nor a name is still refused
select throws_ok(
    format($$ select public.emit_events(%L, '[{"type": "log", "phase": 3}]') $$, :'lease'),
    '22023', 'events[0] phase must be null or a string of 1 to 200 characters', 'a number is no phase'
);
select throws_ok(
    format($$ select public.emit_events(%L, '[{"type": "log", "phase": ""}]') $$, :'lease'),
    '22023', 'events[0] phase must be null or a string of 1 to 200 characters', 'an empty name is no phase'
);

-- TEST: stored as events without a phase (read back as the owner)
select tests.reset_role();
select results_eq(
    format($$ select e.type, e.phase from public.run_events as e where e.run_id = %L order by e.id $$, :'run_id'),
    $$ values ('artifact.failed'::text, null::text), ('log', 'load') $$,
    'the null phase is stored as no phase'
);

select * from finish();
rollback;
