-- Rollback of 20261130400200_add_explain_wait: the function is dropped.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop function public.explain_wait(uuid, timestamptz);
