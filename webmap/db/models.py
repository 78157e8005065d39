"""Database tables (SQLAlchemy 2 declarative). Flask-free: the CLI, the web
views and the tests all work through a plain ``Session``."""

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from analysis.calendar import PARIS


class AwareDateTime(TypeDecorator):
    """Hand instants back as Europe/Paris aware datetimes, so no code ever
    compares a naive local time with an aware one. SQLite has no time
    zones: there they are stored as naive UTC. PostgreSQL stores them as
    ``timestamptz`` and is given aware UTC, whatever its session time zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: give a time zone (Europe/Paris)")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(PARIS)


def now():
    return datetime.now(PARIS)


class Base(DeclarativeBase):
    pass


class ImportBatch(Base):
    """One file (or one demo generation) loaded into the database."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "file" or "demo"
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    created_by: Mapped[str | None] = mapped_column(String(80))
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    # The agency given on the command line or the upload form, and the
    # column mapping profile used, if any.
    agency: Mapped[str | None] = mapped_column(String(16))
    profile: Mapped[str | None] = mapped_column(String(64))
    rolled_back_at: Mapped[datetime | None] = mapped_column(AwareDateTime)
    rolled_back_by: Mapped[str | None] = mapped_column(String(80))

    reports: Mapped[list["Report"]] = relationship(back_populates="batch")


class Report(Base):
    """One piece of information from one agency, with a place and a time."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("agency", "agency_ref", name="uq_report_agency_ref"),
        CheckConstraint("reliability IN ('A','B','C','D','E','F')", name="ck_report_reliability"),
        CheckConstraint("credibility BETWEEN 1 AND 6", name="ck_report_credibility"),
        CheckConstraint("precision IN ('point','address','commune')", name="ck_report_precision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(16), index=True)
    agency_ref: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(AwareDateTime, index=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    # Comma-separated codes from analysis.vocabulary.SUBSTANCES.
    substances: Mapped[str] = mapped_column(String(128), default="")
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(8))
    reliability: Mapped[str] = mapped_column(String(1))
    credibility: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    place_text: Mapped[str] = mapped_column(Text, default="")
    x_l93: Mapped[float] = mapped_column(Float)
    y_l93: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    insee: Mapped[str] = mapped_column(String(5), index=True)
    precision: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Fingerprint of the content as imported: a re-import compares it
    # instead of every column, so an unchanged file costs one hash per row.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Need-to-know: "shared" with the whole cell, or "restricted" to its own
    # agency (see webmap.security.access.visible_reports).
    handling: Mapped[str] = mapped_column(String(10), default="shared", server_default="shared")

    batch: Mapped[ImportBatch] = relationship(back_populates="reports")

    @property
    def grading(self):
        return f"{self.reliability}{self.credibility}"


class HotspotName(Base):
    """A hotspot's lasting name, and what it was last made of, so that the
    next clustering run can recognise it (``analysis.hotspots.match_known``)."""

    __tablename__ = "hotspot_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # JSON list of report ids and the outline (WKT, Lambert-93) last matched.
    report_ids: Mapped[str] = mapped_column(Text)
    hull_wkt: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)


class DataVersion(Base):
    """A counter that database triggers raise on every change to reports, so
    that cached analyses know when they are stale whoever wrote the change."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ReportHistory(Base):
    """A previous version of a report, kept when a later import changed it.

    ``batch_id`` is the batch that had written this version and
    ``superseded_by`` the batch that replaced it; rolling that batch back
    puts this version back and deletes the row.
    """

    __tablename__ = "report_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    superseded_by: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    superseded_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    agency: Mapped[str] = mapped_column(String(16))
    agency_ref: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(AwareDateTime)
    category: Mapped[str] = mapped_column(String(16))
    substances: Mapped[str] = mapped_column(String(128), default="")
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(8))
    reliability: Mapped[str] = mapped_column(String(1))
    credibility: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    place_text: Mapped[str] = mapped_column(Text, default="")
    x_l93: Mapped[float] = mapped_column(Float)
    y_l93: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    insee: Mapped[str] = mapped_column(String(5))
    precision: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(AwareDateTime)
    fictitious: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    handling: Mapped[str] = mapped_column(String(10), default="shared", server_default="shared")


class ImportRejection(Base):
    """A row of an imported file that was not loaded, and why (French)."""

    __tablename__ = "import_rejection"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(255), default="")
    value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)


class ImportDecision(Base):
    """How an imported batch read one kind of value (identical decisions of
    many rows folded into one): a renamed commune, coordinates latitude
    first, an approximate product name… See
    ``webmap.services.importer.decisions``."""

    __tablename__ = "import_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    given: Mapped[str] = mapped_column(Text, default="")
    # Comma-separated keys of decisions.HOW_LABELS.
    how: Mapped[str] = mapped_column(String(255))
    stored: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_line: Mapped[int] = mapped_column(Integer)
    lines: Mapped[str] = mapped_column(Text, default="")


class ImportProfile(Base):
    """A saved column mapping: one per agency export format."""

    __tablename__ = "import_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str | None] = mapped_column(String(16))
    # JSON object: file header -> report field (see webmap.services.importer.columns.FIELDS).
    mapping: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    created_by: Mapped[str | None] = mapped_column(String(80))


class Zone(Base):
    """An operation zone a commander drew to plan an operation.

    ``geometry`` is a GeoJSON Polygon in WGS84; a circle is stored as its
    polygon, with ``radius_m`` and ``center`` kept so that it can be redrawn
    as a circle.
    """

    __tablename__ = "zone"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    geometry: Mapped[str] = mapped_column(Text)
    # "polygon", "rectangle" or "circle": how it was drawn.
    shape: Mapped[str] = mapped_column(String(16), default="polygon")
    radius_m: Mapped[float | None] = mapped_column(Float)
    # JSON [lon, lat] of a circle's centre.
    center: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    created_by: Mapped[str | None] = mapped_column(String(80))
    # The agency of its creator: only that agency's users (and admins) may
    # change or delete it. None for zones of unknown origin: admins only.
    agency: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    updated_by: Mapped[str | None] = mapped_column(String(80))


class User(Base):
    """Someone who may sign in: a role (``webmap.security.access.ROLES``) and an agency."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # werkzeug's "scrypt:..." hash: memory-hard, salted.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changing it signs the user out everywhere (Flask-Login's alternative id).
    session_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)
    password_changed_at: Mapped[datetime] = mapped_column(AwareDateTime, default=now)

    # Flask-Login's protocol, kept here so that models stay Flask-free.
    @property
    def is_active(self):
        return self.active

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return self.session_token


class AuditEntry(Base):
    """One line of the audit trail. Append-only: database triggers refuse
    UPDATE and DELETE (migration 0005)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime, default=now, index=True)
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    agency: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    # JSON object: filters, ids, outcome...
    details: Mapped[str] = mapped_column(Text, default="{}")


class RateLimitCounter(Base):
    """A sign-in rate limit counter (Flask-Limiter's fixed window), kept in
    the database when several server processes must share it
    (``RATELIMIT_STORAGE_URI = "database"``, see :mod:`webmap.security.rate_limits`)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch: compared with time.time(), the limiter's clock.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
