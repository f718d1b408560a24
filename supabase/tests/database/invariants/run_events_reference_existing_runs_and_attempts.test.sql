begin;
select plan(4);

-- run_events' parents are checked once per statement (20261126060000) instead of by row-level
-- foreign keys: the guarantee and the error (23503, the former constraint's name) are the same.
-- SETUP
select tests.seed();
select * from tests.claimed_attempt() \gset
select tests.reset_role();

-- TEST: an event's run and attempt must exist
select throws_ok(
    $$
    insert into public.run_events (run_id, workspace_id, source, type, ts)
    values (gen_random_uuid(), tests.workspace_id(), 'system', 'x', now())
    $$,
    '23503',
    'insert or update on table "run_events" violates foreign key constraint "run_events_run_id_fkey"',
    'an event of an unknown run is refused'
);
select throws_ok(
    format(
        $$
        insert into public.run_events (run_id, attempt_id, workspace_id, source, type, ts)
        values (%L, gen_random_uuid(), tests.workspace_id(), 'executor', 'x', now())
        $$,
        :'run_id'
    ),
    '23503',
    'insert or update on table "run_events" violates foreign key constraint "run_events_attempt_id_fkey"',
    'an event of an unknown attempt is refused'
);
select lives_ok(
    format(
        $$
        insert into public.run_events (run_id, attempt_id, workspace_id, source, type, seq, ts)
        select a.run_id, a.id, a.workspace_id, 'executor', 'x', g, now()
        from public.run_attempts as a cross join generate_series(1, 3) as g
        where a.run_id = %L
        $$,
        :'run_id'
    ),
    'events of an existing run and attempt are stored'
);

-- TEST: deleting an attempt inside the purge deletes its events
select set_config('controlroom.purging', 'on', true);
delete from public.run_attempts where run_id = :'run_id';
select set_config('controlroom.purging', 'off', true);
select is(
    (select count(*) from public.run_events where run_events.run_id = :'run_id'),
    0::bigint,
    'deleting an attempt deletes its events (the former ON DELETE CASCADE), inside the purge functions'
);

select * from finish();
rollback;
