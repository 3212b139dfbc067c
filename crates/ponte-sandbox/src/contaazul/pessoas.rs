//! `/v1/pessoas`: search and create customers. Envelope `{items, totalItems}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{Pessoa, TipoPessoa};
use super::{bad_request, digits, format_document, json_object, reject, Paging};
use crate::assumptions::{
    contaazul_error, CONTAAZUL_ALLOWS_DUPLICATE_DOCUMENTS, CONTAAZUL_CREATE_STATUS,
    CONTAAZUL_NAME_FILTER_IS_PARTIAL,
};
use crate::http::{json_response, Rejection};
use crate::query::Query;
use crate::AppState;

pub(crate) fn render(pessoa: &Pessoa) -> Value {
    let documento = pessoa.documento.as_deref().map(format_document);
    json!({
        "id": pessoa.id,
        "id_legado": pessoa.id_legado,
        "uuid_legado": pessoa.id,
        "nome": pessoa.nome,
        "tipo_pessoa": pessoa.tipo_pessoa.as_str(),
        "documento": documento,
        "email": pessoa.email,
        "telefone": pessoa.telefone_celular.as_ref().or(pessoa.telefone_comercial.as_ref()),
        "ativo": pessoa.ativo,
        "perfis": pessoa.perfis,
        "data_criacao": pessoa.data_criacao.to_rfc3339(),
        "data_alteracao": pessoa.data_criacao.to_rfc3339(),
    })
}

fn render_detail(pessoa: &Pessoa) -> Value {
    let mut value = render(pessoa);
    if let Some(object) = value.as_object_mut() {
        let documento = pessoa.documento.as_deref().map(format_document);
        let (cpf, cnpj) = match pessoa.tipo_pessoa {
            TipoPessoa::Juridica => (None, documento),
            _ => (documento, None),
        };
        object.insert("cpf".into(), json!(cpf));
        object.insert("cnpj".into(), json!(cnpj));
        object.insert(
            "telefone_comercial".into(),
            json!(pessoa.telefone_comercial),
        );
        object.insert("telefone_celular".into(), json!(pessoa.telefone_celular));
        object.insert(
            "perfis".into(),
            json!(pessoa
                .perfis
                .iter()
                .map(|p| json!({"tipo_perfil": p}))
                .collect::<Vec<_>>()),
        );
        object.insert(
            "origem".into(),
            json!(if pessoa.criado_pela_api {
                "API"
            } else {
                "CONTA_AZUL"
            }),
        );
    }
    value
}

pub(super) async fn list(State(state): State<AppState>, uri: Uri) -> Response {
    let query = Query::parse(uri.query());
    let paging = match Paging::parse_for(&state, &query) {
        Ok(paging) => paging,
        Err(rejection) => return rejection.into_response(),
    };
    let busca = query.get("busca").map(str::to_lowercase);
    let documentos: Vec<String> = query.list("documentos").iter().map(|d| digits(d)).collect();
    let nomes: Vec<String> = query
        .list("nomes")
        .iter()
        .map(|n| n.to_lowercase())
        .collect();
    let emails: Vec<String> = query
        .list("emails")
        .iter()
        .map(|e| e.to_lowercase())
        .collect();

    let matching: Vec<Pessoa> = state.with(|world| {
        world
            .contaazul
            .pessoas
            .iter()
            .filter(|pessoa| {
                let name = pessoa.nome.to_lowercase();
                let doc = pessoa.documento.clone().unwrap_or_default();
                let email = pessoa.email.clone().unwrap_or_default().to_lowercase();
                let busca_ok = busca.as_deref().is_none_or(|b| {
                    let b_digits = digits(b);
                    name.contains(b)
                        || email.contains(b)
                        || (!b_digits.is_empty() && doc.contains(&b_digits))
                });
                let documentos_ok = documentos.is_empty() || documentos.contains(&doc);
                let nomes_ok = nomes.is_empty()
                    || nomes.iter().any(|n| {
                        if CONTAAZUL_NAME_FILTER_IS_PARTIAL {
                            name.contains(n.as_str())
                        } else {
                            name == *n
                        }
                    });
                let emails_ok = emails.is_empty() || emails.contains(&email);
                busca_ok && documentos_ok && nomes_ok && emails_ok
            })
            .cloned()
            .collect()
    });
    paging.items_envelope(&matching, render)
}

/// `GET /v1/pessoas/conta-conectada`: the company the token belongs to (field names from the
/// official .NET SDK's `Empresa`; `assumptions::CONTAAZUL_CONNECTED_COMPANY` keeps that choice).
pub(super) async fn connected_company(State(state): State<AppState>) -> Response {
    let name = state.config.contaazul.company_name.clone();
    let document = state.config.contaazul.company_document.clone();
    let shape = state.with(|world| world.answers.contaazul.connected_company);
    let body = match shape {
        crate::answers::ConnectedCompany::SdkFields => json!({
            "razao_social": name,
            "nome_fantasia": name.trim_end_matches(" Ltda"),
            "documento": document,
            "email": "financeiro@empresa-demonstracao.com.br",
            "data_fundacao": "2015-03-02",
        }),
        crate::answers::ConnectedCompany::NameOnly => json!({
            "nome": name,
            "documento": document,
        }),
        crate::answers::ConnectedCompany::NoName => json!({
            "documento": document,
        }),
    };
    json_response(StatusCode::OK, &body)
}

pub(super) async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = Uuid::parse_str(&id)
        .ok()
        .and_then(|id| state.with(|world| world.contaazul.pessoa(id).cloned()));
    match found {
        Some(pessoa) => json_response(StatusCode::OK, &render_detail(&pessoa)),
        None => json_response(
            StatusCode::NOT_FOUND,
            &contaazul_error("Pessoa não encontrada"),
        ),
    }
}

fn optional_string(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, Rejection> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_string())),
        Some(_) => Err(reject(format!("O campo '{key}' deve ser um texto"))),
    }
}

pub(super) async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_object(&body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    match build(&body) {
        Ok(mut pessoa) => {
            let created = state.with(|world| {
                let company = &mut world.contaazul;
                if !CONTAAZUL_ALLOWS_DUPLICATE_DOCUMENTS {
                    if let Some(doc) = &pessoa.documento {
                        if company
                            .pessoas
                            .iter()
                            .any(|p| p.documento.as_ref() == Some(doc))
                        {
                            return Err(reject("Já existe uma pessoa com este documento"));
                        }
                    }
                }
                pessoa.id_legado = company.legacy_id();
                company.pessoas.push(pessoa.clone());
                Ok(pessoa)
            });
            match created {
                Ok(pessoa) => json_response(CONTAAZUL_CREATE_STATUS, &render_detail(&pessoa)),
                Err(rejection) => rejection.into_response(),
            }
        }
        Err(rejection) => rejection.into_response(),
    }
}

fn build(body: &serde_json::Map<String, Value>) -> Result<Pessoa, Rejection> {
    let nome =
        optional_string(body, "nome")?.ok_or_else(|| reject("O campo 'nome' é obrigatório"))?;
    if nome.chars().count() > 200 {
        return Err(reject("O campo 'nome' deve ter no máximo 200 caracteres"));
    }
    let tipo_pessoa = match body.get("tipo_pessoa") {
        Some(Value::String(text)) => {
            serde_json::from_value::<TipoPessoa>(Value::String(text.clone())).map_err(|_| {
                bad_request("O campo 'tipo_pessoa' deve ser 'Física', 'Jurídica' ou 'Estrangeira'")
            })?
        }
        _ => return Err(reject("O campo 'tipo_pessoa' é obrigatório")),
    };
    let cpf_text = optional_string(body, "cpf")?;
    let cnpj_text = optional_string(body, "cnpj")?;
    let documento = match tipo_pessoa {
        TipoPessoa::Fisica => {
            if cnpj_text.is_some() {
                return Err(reject("Pessoa Física não possui CNPJ"));
            }
            match cpf_text {
                Some(cpf) => {
                    let cpf_digits = digits(&cpf);
                    if cpf_digits.len() != 11 || !cpf::valid(&cpf_digits) {
                        return Err(reject(format!("CPF inválido: {cpf}")));
                    }
                    Some(cpf_digits)
                }
                None => None,
            }
        }
        TipoPessoa::Juridica => {
            if cpf_text.is_some() {
                return Err(reject("Pessoa Jurídica não possui CPF"));
            }
            match cnpj_text {
                Some(cnpj) => {
                    let cnpj_digits = digits(&cnpj);
                    if cnpj_digits.len() != 14 || !cnpj::valid(&cnpj_digits) {
                        return Err(reject(format!("CNPJ inválido: {cnpj}")));
                    }
                    Some(cnpj_digits)
                }
                None => None,
            }
        }
        TipoPessoa::Estrangeira => None,
    };
    let email = optional_string(body, "email")?;
    if let Some(email) = &email {
        if email.chars().count() > 100 || email.split(',').any(|e| !e.trim().contains('@')) {
            return Err(reject(format!("E-mail inválido: {email}")));
        }
    }
    let perfis = match body.get("perfis") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(perfis)) => perfis
            .iter()
            .map(
                |perfil| match perfil.get("tipo_perfil").and_then(Value::as_str) {
                    Some(tipo @ ("Cliente" | "Fornecedor" | "Transportadora")) => {
                        Ok(tipo.to_string())
                    }
                    _ => Err(reject(
                        "tipo_perfil deve ser 'Cliente', 'Fornecedor' ou 'Transportadora'",
                    )),
                },
            )
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(reject("O campo 'perfis' deve ser uma lista")),
    };
    Ok(Pessoa {
        id: Uuid::new_v4(),
        id_legado: 0,
        nome,
        tipo_pessoa,
        documento,
        email,
        telefone_comercial: optional_string(body, "telefone_comercial")?,
        telefone_celular: optional_string(body, "telefone_celular")?,
        perfis,
        ativo: body.get("ativo").and_then(Value::as_bool).unwrap_or(true),
        data_criacao: Utc::now(),
        criado_pela_api: true,
    })
}
