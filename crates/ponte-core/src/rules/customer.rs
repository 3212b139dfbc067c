//! R11 and R12: the customer a sale gets, reused or created.

use crate::contaazul::assumptions::{EMAIL_MAX_CHARS, PERSON_NAME_MAX_CHARS, PHONE_MAX_CHARS};
use crate::contaazul::wire::{NewPessoa, Perfil, PessoaSummary};
use crate::nuvemshop::wire::Order;
use crate::problem::{Problem, ProblemCode};
use crate::rules::same_text;
use crate::rules::text::{clean_text, clean_text_within};

/// A buyer's CPF or CNPJ, check digits verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    Cpf(cpf::Cpf),
    Cnpj(cnpj::Cnpj),
}

impl Document {
    /// 11 digits are a CPF, 14 a CNPJ (R11: 14 digits ⇒ *Jurídica*).
    pub fn parse(text: &str) -> Option<Document> {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        match digits.len() {
            11 => digits.parse().ok().map(Document::Cpf),
            14 => digits.parse().ok().map(Document::Cnpj),
            _ => None,
        }
    }

    pub fn digits(&self) -> &str {
        match self {
            Document::Cpf(cpf) => cpf.as_str(),
            Document::Cnpj(cnpj) => cnpj.as_str(),
        }
    }

    /// `123.456.789-09` / `12.345.678/0001-95`
    pub fn formatted(&self) -> String {
        match self {
            Document::Cpf(cpf) => cpf.to_string(),
            Document::Cnpj(cnpj) => cnpj.to_string(),
        }
    }
}

pub use crate::privacy::mask_document;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerDraft {
    pub name: String,
    pub document: Option<Document>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phone: Option<String>,
}

impl CustomerDraft {
    /// R11: a new customer gets name, CPF (or CNPJ), business phone, mobile phone and e-mail.
    pub fn to_new_pessoa(&self) -> NewPessoa {
        let (tipo_pessoa, cpf, cnpj) = match &self.document {
            Some(Document::Cnpj(cnpj)) => ("Jurídica", None, Some(cnpj.to_string())),
            Some(Document::Cpf(cpf)) => ("Física", Some(cpf.to_string()), None),
            None => ("Física", None, None),
        };
        NewPessoa {
            nome: self.name.clone(),
            tipo_pessoa,
            cpf,
            cnpj,
            email: self.email.clone(),
            telefone_comercial: self.business_phone.clone(),
            telefone_celular: self.mobile_phone.clone(),
            perfis: vec![Perfil {
                tipo_perfil: "Cliente",
            }],
        }
    }
}

pub fn customer_draft(order: &Order) -> Result<CustomerDraft, Problem> {
    let name = order
        .buyer_name()
        .map(|name| clean_text_within(name, PERSON_NAME_MAX_CHARS))
        .filter(|name| !name.is_empty())
        .ok_or_else(|| Problem::of(ProblemCode::CustomerWithoutName))?;
    let document = match order.buyer_document() {
        None => None,
        Some(text) => Some(
            Document::parse(text)
                .ok_or_else(|| Problem::invalid_document(&clean_text_within(text, 40)))?,
        ),
    };
    let phone = |text: Option<&str>| {
        text.map(|phone| clean_text_within(phone, PHONE_MAX_CHARS))
            .filter(|phone| !phone.is_empty())
    };
    let mobile_phone = phone(order.buyer_phone());
    let business_phone =
        phone(order.billing_phone.as_deref()).filter(|phone| Some(phone) != mobile_phone.as_ref());
    // An address Conta Azul would refuse is left out: the sale matters more than the e-mail.
    let email = order
        .buyer_email()
        .map(clean_text)
        .filter(|email| email.contains('@') && email.chars().count() <= EMAIL_MAX_CHARS);
    Ok(CustomerDraft {
        name,
        document,
        email,
        mobile_phone,
        business_phone,
    })
}

/// R12: reuse a customer only when both the name and the CPF/CNPJ are the same. Same document
/// with another name, or same name with another document, means a new customer. A buyer with
/// no document matches only a customer with the same name and no document either.
pub fn matching_customer<'a>(
    draft: &CustomerDraft,
    candidates: &'a [PessoaSummary],
) -> Option<&'a PessoaSummary> {
    let wanted_digits = draft.document.as_ref().map(Document::digits);
    candidates.iter().find(|candidate| {
        let digits: String = candidate
            .documento
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let same_document = match wanted_digits {
            Some(wanted) => digits == wanted,
            None => digits.is_empty(),
        };
        same_document && same_text(&candidate.nome, &draft.name) && candidate.ativo != Some(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::sale::tests::order;

    fn pessoa(id: &str, nome: &str, documento: Option<&str>) -> PessoaSummary {
        PessoaSummary {
            id: id.into(),
            nome: nome.into(),
            documento: documento.map(str::to_string),
            ativo: Some(true),
        }
    }

    #[test]
    fn r11_a_new_customer_carries_name_document_phones_and_email() {
        let draft = customer_draft(&order()).unwrap();
        let pessoa = draft.to_new_pessoa();
        assert_eq!(pessoa.nome, "Maria Silva");
        assert_eq!(pessoa.tipo_pessoa, "Física");
        assert_eq!(pessoa.cpf.as_deref(), Some("529.982.247-25"));
        assert_eq!(pessoa.cnpj, None);
        assert_eq!(pessoa.email.as_deref(), Some("maria@exemplo.com.br"));
        assert_eq!(pessoa.telefone_celular.as_deref(), Some("+5511987654321"));
        assert_eq!(pessoa.telefone_comercial.as_deref(), Some("+551133334444"));
        assert_eq!(
            pessoa.perfis,
            vec![Perfil {
                tipo_perfil: "Cliente"
            }]
        );
    }

    #[test]
    fn r11_fourteen_digits_make_a_juridica() {
        let mut company = order();
        company.customer.as_mut().unwrap().identification = Some("11222333000181".into());
        let pessoa = customer_draft(&company).unwrap().to_new_pessoa();
        assert_eq!(pessoa.tipo_pessoa, "Jurídica");
        assert_eq!(pessoa.cnpj.as_deref(), Some("11.222.333/0001-81"));
        assert_eq!(pessoa.cpf, None);
    }

    #[test]
    fn r12_reuse_only_when_name_and_document_are_both_the_same() {
        let draft = customer_draft(&order()).unwrap();
        let same = pessoa("1", "maria  silva", Some("529.982.247-25"));
        let other_name = pessoa("2", "Maria S.", Some("52998224725"));
        let other_document = pessoa("3", "Maria Silva", Some("111.444.777-35"));
        let no_document = pessoa("4", "Maria Silva", None);
        assert_eq!(
            matching_customer(&draft, &[other_name.clone(), same.clone()]).map(|p| p.id.as_str()),
            Some("1")
        );
        assert!(
            matching_customer(&draft, &[other_name]).is_none(),
            "same CPF, another name: new customer"
        );
        assert!(
            matching_customer(&draft, &[other_document]).is_none(),
            "same name, another CPF: new customer"
        );
        assert!(matching_customer(&draft, &[no_document]).is_none());
    }

    #[test]
    fn r12_buyers_without_document_match_only_undocumented_namesakes() {
        let mut undocumented = order();
        undocumented.customer.as_mut().unwrap().identification = None;
        let draft = customer_draft(&undocumented).unwrap();
        let with_document = pessoa("1", "Maria Silva", Some("52998224725"));
        let without = pessoa("2", "Maria Silva", None);
        assert_eq!(
            matching_customer(&draft, &[with_document, without]).map(|p| p.id.as_str()),
            Some("2")
        );
    }

    #[test]
    fn bad_customers_fail_with_a_hint() {
        let mut nameless = order();
        nameless.customer.as_mut().unwrap().name = Some("  ".into());
        nameless.contact_name = None;
        assert_eq!(
            customer_draft(&nameless).unwrap_err().code,
            ProblemCode::CustomerWithoutName
        );
        let mut bad_cpf = order();
        bad_cpf.customer.as_mut().unwrap().identification = Some("123.456.789-00".into());
        let problem = customer_draft(&bad_cpf).unwrap_err();
        assert_eq!(problem.code, ProblemCode::InvalidDocument);
        assert!(problem.hint.contains("Tentar novamente"));
    }

    #[test]
    fn documents_are_masked_in_lists() {
        assert_eq!(
            mask_document(&Document::parse("52998224725").unwrap().formatted()),
            "***.982.247-**"
        );
        assert_eq!(mask_document("11.222.333/0001-81"), "**.222.333/****-**");
    }
}
