-- Why: retries back off deterministically, min(max, base * 2^(attempt-1)), plus an optional bounded
-- jitter that is recorded on the attempt (docs/architecture.md, "Retries").

create function private.retry_delay(attempt_no integer, base interval, max interval)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.make_interval(secs => least(
        extract(epoch from retry_delay.max)::double precision,
        extract(epoch from retry_delay.base)::double precision
        * pg_catalog.power(2::double precision, (retry_delay.attempt_no - 1)::double precision)
    ))
$$;

comment on function private.retry_delay(integer, interval, interval) is
'Deterministic backoff after attempt attempt_no: min(max, base * 2^(attempt_no-1)).';

create function private.retry_jitter(max_jitter interval)
returns interval
language sql
volatile
set search_path = ''
as $$
    select retry_jitter.max_jitter * pg_catalog.random()
$$;

comment on function private.retry_jitter(interval) is
'Random extra retry delay in [0, max_jitter) (the spec''s retries.jitter_seconds); recorded on the attempt.';
