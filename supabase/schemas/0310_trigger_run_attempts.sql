-- Why: attempt numbers have no gaps, and an attempt's identity and lease token never change; a
-- closed attempt is final, so a dead lease stays dead (fencing).

create function private.run_attempts_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_bad record;
begin
    select n.run_id, n.attempt_no into v_bad
    from new_attempts as n
    where n.attempt_no > 1
        and not exists (
            select
            from public.run_attempts as p
            where p.run_id = n.run_id and p.attempt_no = n.attempt_no - 1
        )
    limit 1;
    if found then
        raise exception 'attempt % of run % skips a number', v_bad.attempt_no, v_bad.run_id
        using errcode = 'PT422',
        detail = 'Attempt numbers of a run are 1, 2, 3, ... without gaps.',
        hint = 'Attempts are created only by public.claim_runs.';
    end if;
    return null;
end
$$;

comment on function private.run_attempts_after_insert() is
'Trigger: attempt numbers of a run increase by one (no gaps, duplicates are refused by a unique constraint).';

create trigger run_attempts_after_insert
after insert on public.run_attempts
referencing new table as new_attempts
for each statement execute function private.run_attempts_after_insert();

create function private.run_attempts_after_update()
returns trigger
language plpgsql
set search_path = ''
-- Transition tables carry no statistics (estimated at one row): without this, joining old and
-- new rows is a nested loop, quadratic in the rows of the statement (a 10,000-run requeue).
set enable_nestloop = off
as $$
declare
    v_bad record;
begin
    select o.id into v_bad
    from old_attempts as o
    left join new_attempts as n on n.id = o.id
    where n.id is null
        or (o.run_id, o.workspace_id, o.attempt_no, o.executor_id, o.lease_token, o.claimed_at)
        is distinct from
        (n.run_id, n.workspace_id, n.attempt_no, n.executor_id, n.lease_token, n.claimed_at)
        or (o.finished_at is not null and o is distinct from n)
    limit 1;
    if found then
        raise exception 'attempt % cannot be changed that way', v_bad.id
        using errcode = '42501',
        detail = 'An attempt''s identity, run, executor and lease token never change, and a closed attempt is final.',
        hint = 'Attempts are changed only by the executor RPCs and requeue_stale_runs.';
    end if;
    return null;
end
$$;

comment on function private.run_attempts_after_update() is
'Trigger: attempt identity and lease token are immutable; closed attempts never change (a dead lease stays dead).';

create trigger run_attempts_after_update
after update on public.run_attempts
referencing old table as old_attempts new table as new_attempts
for each statement execute function private.run_attempts_after_update();
