-- Why: the retention policies (0292) are applied by pg_cron in bounded batches through the purge
-- functions of 0340, and every batch that removed something is recorded in retention_purges.
-- Verification records (artifact.verified / artifact.verification_failed events) have their own
-- period. Artifact objects are not deleted here: the database cannot reach S3 (0622).

create function private.apply_retention(as_of timestamptz, max_rows integer default 5000)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_budget integer := apply_retention.max_rows;
    v_policy public.retention_policies;
    v_cutoff timestamptz;
    v_count bigint;
    v_total bigint := 0::bigint;
begin
    -- GUARD: one batch of at most max_rows events or runs in all, so a transaction stays short;
    -- `more` tells the caller to commit and call again.
    for v_policy in
        select p.* from public.retention_policies as p
        where p.events_after_days is not null or p.runs_after_days is not null
            or p.verifications_after_days is not null
        order by p.workspace_id
    loop
        if v_policy.runs_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.runs_after_days);
            v_count := private.purge_finished_runs_of(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'runs', v_count, v_cutoff, pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        if v_policy.events_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.events_after_days);
            v_count := private.purge_run_events(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'run_events', v_count, v_cutoff, pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        if v_policy.verifications_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.verifications_after_days);
            v_count := private.purge_artifact_verifications(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'artifact_verifications', v_count, v_cutoff,
                    pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        exit when v_budget <= 0;
    end loop;
    return pg_catalog.jsonb_build_object('purged', v_total, 'more', v_budget <= 0);
end
$$;

comment on function private.apply_retention(timestamptz, integer) is
'Applies every workspace''s retention policy as of as_of: finished runs (with their history), run events and verification records older than the policy, at most max_rows rows in all per call, each batch recorded in retention_purges. Returns {purged, more}; more = the budget ran out, call again after committing. Artifact objects: claim_artifact_expiries.';

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_apply_retention';

select cron.schedule(
    'controlroom_apply_retention',
    '17 * * * *',
    $job$do $retention$
begin
    while (private.apply_retention(pg_catalog.now(), 5000) ->> 'more')::boolean loop
        commit;
    end loop;
end
$retention$$job$
);
