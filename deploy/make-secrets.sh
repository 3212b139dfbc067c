#!/usr/bin/env bash
# Writes deploy/secrets/: a random Postgres password and the URL the brokers use with it, a
# random sealing key shared by the brokers, and the two apps' client secrets, asked for (never
# echoed). Files readable by their owner only; run once.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
if [ -e secrets/postgres_password ]; then
  echo "deploy/secrets/ already exists: remove it first to start over" >&2
  exit 1
fi
password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" > secrets/postgres_password
printf 'postgres://ponte:%s@postgres:5432/ponte\n' "$password" > secrets/database_url
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > secrets/broker_key
echo >> secrets/broker_key
read -rsp "Nuvemshop client secret: " nuvemshop && echo
printf '%s\n' "$nuvemshop" > secrets/nuvemshop_client_secret
read -rsp "Conta Azul client secret: " contaazul && echo
printf '%s\n' "$contaazul" > secrets/contaazul_client_secret
echo "deploy/secrets/ written"
