begin;
select plan(2);

-- SETUP
-- Twelve queued runs of one pipeline: one workspace and spec, so one score context.
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl', 0, '2026-11-02 09:00+00')
from pg_catalog.generate_series(1, 12);
-- pg_stat_xact_user_functions counts this transaction's calls of each function.
set local track_functions = 'all';

-- TEST: the context is computed once per workspace and spec of a batch, not once per run
select is(
    (public.refresh_scores(tests.pool(), 100, '2026-11-02 09:30+00') ->> 'rescored')::integer,
    12, 'the tick rescored the twelve runs'
);
select is(
    (
        select f.calls from pg_catalog.pg_stat_xact_user_functions as f
        where f.schemaname = 'private' and f.funcname = 'score_context'
    ),
    1::bigint, 'private.score_context ran once for the batch''s one workspace and spec'
);

select * from finish();
rollback;
