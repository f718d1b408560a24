begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset

-- TEST: a batch is stored
select is(
    public.emit_events(
        :'lease',
        '[{"type": "phase.started", "seq": 1, "phase": "extract"},
          {"type": "log", "seq": 2, "level": "warning", "message": "slow", "payload": {"rows": 5}, "ts": "2026-11-26T03:00:00Z"}]'
    ) - 'run_id' - 'attempt_id',
    '{"outcome": "accepted", "accepted": 2, "duplicates": 0}'::jsonb,
    'a batch is stored'
);

-- TEST: a re-sent sequence number is skipped
select is(
    public.emit_events(
        :'lease',
        '[{"type": "log", "seq": 2, "message": "slow"}, {"type": "log", "seq": 3}]'
    ) - 'run_id' - 'attempt_id',
    '{"outcome": "accepted", "accepted": 1, "duplicates": 1}'::jsonb,
    'a re-sent sequence number is skipped'
);

-- TEST: the events are stored with defaults
select tests.reset_role();
select results_eq(
    format(
        $$
        select e.seq, e.type, e.level, e.phase, e.message, e.payload, e.source
        from public.run_events as e where e.run_id = %L order by e.id
        $$,
        :'run_id'
    ),
    $$
    values (1, 'phase.started'::text, 'info'::text, 'extract'::text, null::text, '{}'::jsonb, 'executor'::text),
        (2, 'log', 'warning', null, 'slow', '{"rows": 5}', 'executor'),
        (3, 'log', 'info', null, null, '{}', 'executor')
    $$,
    'the events are stored with defaults'
);

select * from finish();
rollback;
