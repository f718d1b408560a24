-- Why: the schedule tick (issue 16). pg_cron calls it every minute (0620); it submits the due runs
-- of every workspace through private.submit_runs, the path submit_run takes (params validated and
-- defaulted, max_priority and max_queued_runs applied), and records one schedule_ticks row per
-- (schedule, fire time). Idempotent: a schedule row is locked while its tick runs and then moved
-- past as_of (fired_through), the tick rows are keyed by fire time, and each run's idempotency key is
-- schedule:<id>@<fire time>, so a tick that runs twice, overlaps another or replays after a restart
-- never submits a fire time twice.

create function private.fire_due_schedules(as_of timestamptz, max_schedules integer, workspace_id uuid default null)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(fire_due_schedules.as_of);
    v_schedule public.schedules;
    v_fires timestamptz[];
    v_done integer := 0;
    v_submitted integer := 0;
    v_duplicates integer := 0;
    v_rejected integer := 0;
    v_skipped integer := 0;
begin
    if fire_due_schedules.max_schedules is null or fire_due_schedules.max_schedules not between 1 and 10000 then
        raise exception 'max_schedules must be from 1 to 10000, not %', fire_due_schedules.max_schedules
        using errcode = '22023',
        detail = 'One call handles a bounded batch of due schedules.',
        hint = 'Call it again while the answer says more: true.';
    end if;
    -- GUARD: a concurrent tick skips the schedules this one holds; it finds them moved past as_of
    -- when it gets to them (the next_fire_at condition is re-checked on the locked row).
    for v_schedule in
        select s.*
        from public.schedules as s
        where not s.paused and s.next_fire_at <= v_as_of
          -- Tests scope a tick to their own workspace; pg_cron ticks them all.
          and (fire_due_schedules.workspace_id is null or s.workspace_id = fire_due_schedules.workspace_id)
        order by s.next_fire_at, s.id
        limit fire_due_schedules.max_schedules
        for update skip locked
    loop
        v_done := v_done + 1;
        -- Which fire times of (fired_through, as_of] to run: catchup none runs only a fire time less
        -- than 2 minutes old (a tick late by up to a minute still runs it), latest the newest one,
        -- all the newest max_catchup. The others are skipped for good.
        v_fires := array(
            select f.at
            from private.cron_last_fires(
                v_schedule.cron, v_schedule.timezone, v_schedule.fired_through, v_as_of,
                case when v_schedule.catchup = 'all' then v_schedule.max_catchup else 1 end
            ) as f (at)
            where v_schedule.catchup <> 'none' or f.at > v_as_of - interval '2 minutes'
            order by f.at
        );
        if pg_catalog.cardinality(v_fires) = 0 then
            v_skipped := v_skipped + 1;
        else
            with answers as (
                select f.at, a.outcome, a.code, a.message, a.run_id
                from private.submit_runs(
                    v_schedule.workspace_id,
                    (
                        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                            'spec_hash', p.spec_hash,
                            'params', v_schedule.params,
                            'idempotency_key', private.schedule_idempotency_key(v_schedule.id, x.at)
                        ) order by x.n)
                        from pg_catalog.unnest(v_fires) with ordinality as x (at, n)
                        cross join public.pipeline_specs as p
                        where p.id = v_schedule.spec_id
                    ),
                    v_as_of,
                    'system:schedules'
                ) as a
                inner join pg_catalog.unnest(v_fires) with ordinality as f (at, n) on f.n = a.item + 1
            ),
            ticks as (
                insert into public.schedule_ticks as t (
                    schedule_id, fire_at, workspace_id, ticked_at, outcome, run_id, code, message
                )
                select v_schedule.id, a.at, v_schedule.workspace_id, v_as_of,
                    case a.outcome when 'accepted' then 'submitted' else a.outcome end,
                    a.run_id, a.code, pg_catalog.left(a.message, 2000)
                from answers as a
                -- GUARD: a fire time already ticked (a replay) keeps its first record.
                on conflict (schedule_id, fire_at) do nothing
                returning t.outcome
            )
            select
                v_submitted + pg_catalog.count(*) filter (where t.outcome = 'submitted')::integer,
                v_duplicates + pg_catalog.count(*) filter (where t.outcome = 'duplicate')::integer,
                v_rejected + pg_catalog.count(*) filter (where t.outcome = 'rejected')::integer
            into v_submitted, v_duplicates, v_rejected
            from ticks as t;
        end if;
        update public.schedules as s
        set fired_through = v_as_of,
            next_fire_at = private.cron_next_fire(s.cron, s.timezone, v_as_of),
            updated_at = v_as_of
        where s.id = v_schedule.id;
    end loop;
    return pg_catalog.jsonb_build_object(
        'schedules', v_done,
        'submitted', v_submitted,
        'duplicates', v_duplicates,
        'rejected', v_rejected,
        'skipped', v_skipped,
        'more', v_done = fire_due_schedules.max_schedules
    );
end
$$;

comment on function private.fire_due_schedules(timestamptz, integer, uuid) is
'The schedule tick: for at most max_schedules due, unpaused schedules (of one workspace when workspace_id is given) (next_fire_at <= as_of, locked skip-locked), submits the fire times its catchup selects through private.submit_runs (idempotency key schedule:<id>@<fire time>), records one schedule_ticks row per fire time and moves the schedule past as_of. Answers {schedules, submitted, duplicates, rejected, skipped, more}.';

create function private.schedule_idempotency_key(schedule_id uuid, fire_at timestamptz)
returns text
language sql
immutable
set search_path = ''
as $$
    select 'schedule:' || schedule_idempotency_key.schedule_id::text || '@'
        || pg_catalog.to_char(schedule_idempotency_key.fire_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"')
$$;

comment on function private.schedule_idempotency_key(uuid, timestamptz) is
'The idempotency key of the run a schedule submits for a fire time: schedule:<schedule id>@<UTC minute>.';
