//! `zora_shop.record_supplier_audit`: AEGIS records the audit of one of a brand's
//! suppliers: its findings, each with a severity, and the certifications seen. One row of
//! `zora_shop_supplier_audits` per task, written for the whole batch in one statement.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use zora_core::handler::{BatchRows, Category, Outcome, TaskError, TaskHandler, to_result};
use zora_core::journal::JournalCategory;
use zora_core::{HandlerTx, ReadTx, StoreError, Task, TenantId};
use zora_store_sql::Sql;
use zora_store_sql::postgres::{self as pg, Db};
use zora_store_sql::sqlite;

use crate::ids::BrandId;
use crate::journal;
use crate::payload::{Date, Reference, has_reference, has_text, require, resolve};
use crate::zora_shop::brands::{self, Brands};

/// The most findings one audit records.
pub const MAX_FINDINGS: usize = 50;
/// The longest supplier name, in characters.
pub const MAX_SUPPLIER_NAME: usize = 200;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// One finding of the audit.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct Finding {
    /// What the finding is about (`water use`, `wages`, ...).
    pub topic: String,
    pub severity: Severity,
    /// The auditor's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The payload of `zora_shop.record_supplier_audit`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Payload {
    /// UUID of the brand whose supplier was audited.
    #[schemars(required)]
    pub brand_id: Option<Reference>,
    /// The supplier's name, 1 to 200 characters.
    #[schemars(required)]
    pub supplier_name: Option<String>,
    /// The day of the audit, `YYYY-MM-DD`, not in the future.
    #[schemars(required)]
    pub audited_on: Option<Date>,
    /// At most 50 findings.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The certifications the supplier holds.
    #[serde(default)]
    pub certifications: Vec<String>,
}

/// The handler of `zora_shop.record_supplier_audit`.
#[derive(Debug, Clone, Copy)]
pub struct RecordSupplierAudit;

/// One audit to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSupplierAudit {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub brand_id: BrandId,
    pub supplier_name: String,
    pub audited_on: NaiveDate,
    pub findings: Value,
    pub certifications: Vec<String>,
    pub highest_severity: Option<Severity>,
}

#[async_trait]
impl TaskHandler for RecordSupplierAudit {
    type Payload = Payload;
    type Context = Brands;
    type Rows = NewSupplierAudit;

    const KIND: &'static str = "zora_shop.record_supplier_audit";
    const CATEGORY: Category = Category::ZoraShop;
    const DESCRIPTION: &'static str =
        "Record the audit of a brand's supplier: its findings by severity and its certifications";
    const FIELDS: &'static [(&'static str, &'static str)] = &[
        ("brand_id", "UUID of the brand whose supplier was audited"),
        ("supplier_name", "The supplier's name (1-200 characters)"),
        ("audited_on", "Audit date (YYYY-MM-DD, not in the future)"),
        (
            "findings",
            "Findings: [{topic, severity: low|medium|high, note?}], at most 50",
        ),
        (
            "certifications",
            "Certifications the supplier holds (optional)",
        ),
    ];

    fn validate(&self, payload: &Payload) -> Result<(), TaskError> {
        require(&[
            ("brand_id", has_reference(&payload.brand_id)),
            ("supplier_name", has_text(&payload.supplier_name)),
            ("audited_on", payload.audited_on.is_some()),
        ])?;
        let name = payload.supplier_name.as_deref().unwrap_or_default().trim();
        if name.chars().count() > MAX_SUPPLIER_NAME {
            return Err(TaskError::field(
                "supplier_name",
                format!("supplier_name is longer than {MAX_SUPPLIER_NAME} characters"),
            ));
        }
        if let Some(Date(day)) = payload.audited_on
            && day > chrono::Utc::now().date_naive()
        {
            return Err(TaskError::field(
                "audited_on",
                format!("audited_on {day} is in the future"),
            ));
        }
        if payload.findings.len() > MAX_FINDINGS {
            return Err(TaskError::field(
                "findings",
                format!(
                    "findings has {} items; at most {MAX_FINDINGS} are allowed",
                    payload.findings.len()
                ),
            ));
        }
        if let Some(n) = payload
            .findings
            .iter()
            .position(|f| f.topic.trim().is_empty())
        {
            return Err(TaskError::field(
                format!("findings[{n}].topic"),
                format!("findings[{n}].topic must not be empty"),
            ));
        }
        Ok(())
    }

    async fn load(
        &self,
        tx: &mut dyn ReadTx,
        batch: &[(&Task, &Payload)],
    ) -> Result<Brands, StoreError> {
        brands::load(tx, batch, |p: &Payload| {
            resolve(&p.brand_id).into_iter().collect()
        })
        .await
    }

    fn check(&self, tenant: TenantId, payload: &Payload, brands: &Brands) -> Result<(), TaskError> {
        match brands.get(tenant, payload.brand_id.as_ref()) {
            Some(_) => Ok(()),
            None => Err(TaskError::field(
                "brand_id",
                format!(
                    "Brand {} not found or does not belong to tenant",
                    payload
                        .brand_id
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ),
            )),
        }
    }

    async fn apply(
        &self,
        _tx: &mut dyn HandlerTx,
        task: &Task,
        payload: &Payload,
        _prepared: Option<Value>,
        brands: &Brands,
    ) -> Result<Outcome<Self::Rows>, TaskError> {
        let (Some(brand), Some(Date(audited_on))) = (
            brands.get(task.tenant_id, payload.brand_id.as_ref()),
            payload.audited_on,
        ) else {
            return Err(TaskError::permanent("brand vanished after its check"));
        };
        let supplier = payload
            .supplier_name
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let mut per_severity: BTreeMap<&str, usize> =
            [("low", 0), ("medium", 0), ("high", 0)].into();
        for finding in &payload.findings {
            *per_severity.entry(finding.severity.as_str()).or_default() += 1;
        }
        let highest = payload.findings.iter().map(|f| f.severity).max();
        let highest_text = highest.map_or("none", Severity::as_str);
        let n = payload.findings.len();
        let audit = NewSupplierAudit {
            id: Uuid::now_v7(),
            tenant_id: task.tenant_id,
            brand_id: brand.id,
            supplier_name: supplier.clone(),
            audited_on,
            findings: to_result(&payload.findings),
            certifications: payload.certifications.clone(),
            highest_severity: highest,
        };
        let entry = journal::entry(
            task,
            JournalCategory::ZoraShop,
            "supplier_audit_recorded",
            format!("Recorded supplier audit: {supplier}"),
            format!(
                "{n} findings, highest {highest_text}, for brand {}",
                brand.name
            ),
            json!({
                "audit_id": audit.id,
                "brand_id": brand.id,
                "supplier_name": supplier,
                "findings_by_severity": per_severity,
            }),
        );
        let result = json!({
            "audit_id": audit.id,
            "brand_id": brand.id,
            "findings": n,
            "highest_severity": highest,
        });
        let summary =
            format!("Recorded the audit of {supplier} ({n} findings, highest {highest_text})");
        Ok(Outcome::new(result, summary, vec![entry]).with_rows(audit))
    }
}

#[async_trait]
impl BatchRows for NewSupplierAudit {
    /// Every audit of the batch in one statement.
    async fn write_batch(tx: &mut dyn HandlerTx, audits: Vec<Self>) -> Result<(), StoreError> {
        if audits.is_empty() {
            return Ok(());
        }
        match Sql::open(tx.writer().await?)? {
            Sql::Postgres(mut db) => insert_postgres(&mut db, &audits).await,
            Sql::Sqlite(conn) => insert_sqlite(conn, &audits).await,
        }
    }
}

async fn insert_postgres(db: &mut impl Db, audits: &[NewSupplierAudit]) -> Result<(), StoreError> {
    // `text[]` does not nest in UNNEST: each audit's certifications go as one JSON array.
    let certifications: Vec<Value> = audits.iter().map(|a| json!(a.certifications)).collect();
    pg::query(
        db.keep(),
        "INSERT INTO zora_shop_supplier_audits \
           (id, tenant_id, brand_id, supplier_name, audited_on, findings, certifications, highest_severity) \
         SELECT a.id, a.tenant_id, a.brand_id, a.supplier_name, a.audited_on, a.findings, \
           ARRAY(SELECT jsonb_array_elements_text(a.certifications)), a.highest_severity \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::date[], $6::jsonb[], \
           $7::jsonb[], $8::text[]) \
           AS a(id, tenant_id, brand_id, supplier_name, audited_on, findings, certifications, highest_severity)",
    )
    .bind(audits.iter().map(|a| a.id).collect::<Vec<_>>())
    .bind(audits.iter().map(|a| a.tenant_id.0).collect::<Vec<_>>())
    .bind(audits.iter().map(|a| a.brand_id.0).collect::<Vec<_>>())
    .bind(audits.iter().map(|a| a.supplier_name.as_str()).collect::<Vec<_>>())
    .bind(audits.iter().map(|a| a.audited_on).collect::<Vec<_>>())
    .bind(audits.iter().map(|a| a.findings.clone()).collect::<Vec<_>>())
    .bind(certifications)
    .bind(
        audits
            .iter()
            .map(|a| a.highest_severity.map(Severity::as_str))
            .collect::<Vec<_>>(),
    )
    .execute(db.conn())
    .await
    .map_err(pg::store_error)?;
    Ok(())
}

async fn insert_sqlite(
    conn: &mut sqlx::SqliteConnection,
    audits: &[NewSupplierAudit],
) -> Result<(), StoreError> {
    let batch: Vec<Value> = audits
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "tenant_id": a.tenant_id, "brand_id": a.brand_id,
                "supplier_name": a.supplier_name, "audited_on": a.audited_on.to_string(),
                "findings": a.findings.to_string(),
                "certifications": json!(a.certifications).to_string(),
                "highest_severity": a.highest_severity.map(Severity::as_str),
            })
        })
        .collect();
    sqlx::query(&format!(
        "INSERT INTO zora_shop_supplier_audits \
           (id, tenant_id, brand_id, supplier_name, audited_on, findings, certifications, highest_severity, created_at) \
         SELECT value ->> 'id', value ->> 'tenant_id', value ->> 'brand_id', value ->> 'supplier_name', \
           value ->> 'audited_on', value ->> 'findings', value ->> 'certifications', \
           value ->> 'highest_severity', {} \
         FROM json_each(?1)",
        sqlite::NOW
    ))
    .bind(Value::from(batch).to_string())
    .execute(conn)
    .await
    .map_err(sqlite::store_error)?;
    Ok(())
}
