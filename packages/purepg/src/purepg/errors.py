"""The DB-API 2.0 exception hierarchy, with PostgreSQL diagnostics on every database error.

This module is deliberately light (stdlib only, no other purepg imports) so that pgfacade can
re-export the same classes without importing the driver.

Every server error is raised as the class of its SQLSTATE (``UniqueViolation``,
``SerializationFailure``, ...), which derives from the DB-API class that psycopg2 uses for the
SQLSTATE's class (``23`` -> ``IntegrityError``, ``40`` -> ``TransactionRollbackError``, ...).
Each SQLSTATE is declared once, in ``_SQLSTATE_NAMES`` (code and psycopg2.errors name). The
common classes are written out below under those names; the others are created on first use by
``lookup()`` or attribute access.
"""

# ruff: noqa: N818 - the SQLSTATE classes keep psycopg2.errors' names

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class Warning(Exception):
    """Important warnings such as data truncation (DB-API)."""


class Error(Exception):
    """Base class of every purepg error (DB-API).

    Database errors raised from a server ErrorResponse carry its fields: ``sqlstate`` (also as
    ``pgcode``, the psycopg2 name), ``severity``, ``message``, ``detail``, ``hint`` and the rest
    in ``fields`` (keyed by the protocol's one-letter codes) and ``diag``.
    """

    def __init__(self, message: str = "", *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})

    @property
    def sqlstate(self) -> str | None:
        """The five-character SQLSTATE code, when the server sent one."""
        return self.fields.get("C")

    @property
    def pgcode(self) -> str | None:
        """Alias of ``sqlstate`` under psycopg2's name."""
        return self.sqlstate

    @property
    def pgerror(self) -> str | None:
        """The full error text (psycopg2's name), when the error came from the server."""
        return str(self) if self.fields else None

    @property
    def message(self) -> str:
        """The primary message: the server's, else the one given when raised."""
        return self.fields.get("M") or (str(self.args[0]) if self.args else "")

    @property
    def severity(self) -> str | None:
        """ERROR, FATAL or PANIC (non-localised when the server sent it)."""
        return self.fields.get("V") or self.fields.get("S")

    @property
    def detail(self) -> str | None:
        """The server's DETAIL line."""
        return self.fields.get("D")

    @property
    def hint(self) -> str | None:
        """The server's HINT line."""
        return self.fields.get("H")

    @property
    def diag(self) -> Diagnostics:
        """Every field of the server's report under psycopg2's ``Diagnostics`` names."""
        return Diagnostics(self.fields)


class Diagnostics:
    """Read-only view of an ErrorResponse/NoticeResponse, attribute names as psycopg2's."""

    _CODES: ClassVar[dict[str, str]] = {
        "severity": "S",
        "severity_nonlocalized": "V",
        "sqlstate": "C",
        "message_primary": "M",
        "message_detail": "D",
        "message_hint": "H",
        "statement_position": "P",
        "internal_position": "p",
        "internal_query": "q",
        "context": "W",
        "schema_name": "s",
        "table_name": "t",
        "column_name": "c",
        "datatype_name": "d",
        "constraint_name": "n",
        "source_file": "F",
        "source_line": "L",
        "source_function": "R",
    }

    def __init__(self, fields: Mapping[str, str]) -> None:
        self._fields = dict(fields)

    def __getattr__(self, name: str) -> str | None:
        code = Diagnostics._CODES.get(name)
        if code is None:
            raise AttributeError(name)
        return self._fields.get(code)


class InterfaceError(Error):
    """An error of the driver itself rather than the database (DB-API)."""


class DatabaseError(Error):
    """An error related to the database (DB-API)."""


class DataError(DatabaseError):
    """Problems with the processed data: division by zero, out of range values (DB-API)."""


class OperationalError(DatabaseError):
    """The database's operation failed: lost connection, authentication, timeouts (DB-API)."""


class IntegrityError(DatabaseError):
    """Relational integrity violated: unique, foreign key, check constraints (DB-API)."""


class InternalError(DatabaseError):
    """The database hit an internal error, e.g. an invalid transaction state (DB-API)."""


class ProgrammingError(DatabaseError):
    """Programming errors: syntax, missing table, wrong number of parameters (DB-API)."""


class NotSupportedError(DatabaseError):
    """A method or database feature that is not supported (DB-API)."""


class TransactionRollbackError(OperationalError):
    """SQLSTATE class 40: the transaction was rolled back (serialization failure, deadlock)."""


class QueryCanceledError(OperationalError):
    """The statement was cancelled (SQLSTATE 57014): cancel request or statement_timeout."""


# --- SQLSTATE-specific classes: the common ones, written out (codes in _SQLSTATE_NAMES). ---


class ConnectionException(OperationalError): ...


class ConnectionFailure(OperationalError):
    """The connection broke."""


class ProtocolViolation(OperationalError):
    """A message broke the protocol (also raised by purepg for a malformed message)."""


class FeatureNotSupported(NotSupportedError): ...


class CardinalityViolation(ProgrammingError): ...


class DataException(DataError): ...


class StringDataRightTruncation(DataError): ...


class NumericValueOutOfRange(DataError): ...


class InvalidDatetimeFormat(DataError): ...


class DatetimeFieldOverflow(DataError): ...


class DivisionByZero(DataError): ...


class CharacterNotInRepertoire(DataError): ...


class InvalidParameterValue(DataError): ...


class InvalidTextRepresentation(DataError): ...


class UntranslatableCharacter(DataError): ...


class IntegrityConstraintViolation(IntegrityError): ...


class RestrictViolation(IntegrityError): ...


class NotNullViolation(IntegrityError): ...


class ForeignKeyViolation(IntegrityError): ...


class UniqueViolation(IntegrityError): ...


class CheckViolation(IntegrityError): ...


class ExclusionViolation(IntegrityError): ...


class InvalidCursorState(InternalError): ...


class InvalidTransactionState(InternalError): ...


class ActiveSqlTransaction(InternalError): ...


class ReadOnlySqlTransaction(InternalError): ...


class NoActiveSqlTransaction(InternalError): ...


class InFailedSqlTransaction(InternalError): ...


class IdleInTransactionSessionTimeout(InternalError): ...


class InvalidSqlStatementName(OperationalError): ...


class InvalidAuthorizationSpecification(OperationalError): ...


class InvalidPassword(OperationalError): ...


class InvalidTransactionTermination(InternalError): ...


class InvalidCursorName(OperationalError): ...


class SavepointException(InternalError): ...


class InvalidCatalogName(ProgrammingError):
    """The database does not exist."""


class InvalidSchemaName(ProgrammingError): ...


class TransactionRollback(TransactionRollbackError): ...


class SerializationFailure(TransactionRollbackError): ...


class DeadlockDetected(TransactionRollbackError): ...


class SyntaxErrorOrAccessRuleViolation(ProgrammingError): ...


class InsufficientPrivilege(ProgrammingError): ...


class SyntaxError(ProgrammingError): ...


class UndefinedColumn(ProgrammingError): ...


class UndefinedFunction(ProgrammingError): ...


class UndefinedTable(ProgrammingError): ...


class UndefinedObject(ProgrammingError): ...


class DuplicateDatabase(ProgrammingError): ...


class DuplicateObject(ProgrammingError): ...


class DuplicateTable(ProgrammingError): ...


class InsufficientResources(OperationalError): ...


class TooManyConnections(OperationalError): ...


class ProgramLimitExceeded(OperationalError): ...


class ObjectNotInPrerequisiteState(OperationalError): ...


class ObjectInUse(OperationalError): ...


class LockNotAvailable(OperationalError): ...


class OperatorIntervention(OperationalError): ...


class QueryCanceled(QueryCanceledError):
    """Statement_timeout, or a cancel request."""


class AdminShutdown(OperationalError): ...


class CannotConnectNow(OperationalError):
    """The server is starting up or shutting down."""


class InternalError_(InternalError): ...  # noqa: N801 - psycopg2's name for XX000


# The DB-API class of each SQLSTATE class (its first two characters), as psycopg2 maps them.
_CLASS_BASES: dict[str, type[Error]] = {
    "08": OperationalError,
    "0A": NotSupportedError,
    "20": ProgrammingError,
    "21": ProgrammingError,
    "22": DataError,
    "23": IntegrityError,
    "24": InternalError,
    "25": InternalError,
    "26": OperationalError,
    "27": OperationalError,
    "28": OperationalError,
    "2B": InternalError,
    "2D": InternalError,
    "2F": InternalError,
    "34": OperationalError,
    "38": InternalError,
    "39": InternalError,
    "3B": InternalError,
    "3D": ProgrammingError,
    "3F": ProgrammingError,
    "40": TransactionRollbackError,
    "42": ProgrammingError,
    "44": ProgrammingError,
    "53": OperationalError,
    "54": OperationalError,
    "55": OperationalError,
    "57": OperationalError,
    "58": OperationalError,
    "F0": InternalError,
    "HV": OperationalError,
    "P0": InternalError,
    "XX": InternalError,
}

# Every SQLSTATE PostgreSQL defines, with its condition name in CamelCase (psycopg2.errors names).
_SQLSTATE_NAMES = """
02000 NoData 02001 NoAdditionalDynamicResultSetsReturned 03000 SqlStatementNotYetComplete
08000 ConnectionException 08001 SqlclientUnableToEstablishSqlconnection
08003 ConnectionDoesNotExist 08004 SqlserverRejectedEstablishmentOfSqlconnection
08006 ConnectionFailure 08007 TransactionResolutionUnknown 08P01 ProtocolViolation
09000 TriggeredActionException 0A000 FeatureNotSupported
0B000 InvalidTransactionInitiation 0F000 LocatorException
0F001 InvalidLocatorSpecification 0L000 InvalidGrantor 0LP01 InvalidGrantOperation
0P000 InvalidRoleSpecification 0Z000 DiagnosticsException
0Z002 StackedDiagnosticsAccessedWithoutActiveHandler 10608 InvalidArgumentForXquery
20000 CaseNotFound 21000 CardinalityViolation 22000 DataException
22001 StringDataRightTruncation 22002 NullValueNoIndicatorParameter
22003 NumericValueOutOfRange 22004 NullValueNotAllowed 22005 ErrorInAssignment
22007 InvalidDatetimeFormat 22008 DatetimeFieldOverflow
22009 InvalidTimeZoneDisplacementValue 2200B EscapeCharacterConflict
2200C InvalidUseOfEscapeCharacter 2200D InvalidEscapeOctet 2200F ZeroLengthCharacterString
2200G MostSpecificTypeMismatch 2200H SequenceGeneratorLimitExceeded 2200L NotAnXmlDocument
2200M InvalidXmlDocument 2200N InvalidXmlContent 2200S InvalidXmlComment
2200T InvalidXmlProcessingInstruction 22010 InvalidIndicatorParameterValue
22011 SubstringError 22012 DivisionByZero 22013 InvalidPrecedingOrFollowingSize
22014 InvalidArgumentForNtileFunction 22015 IntervalFieldOverflow
22016 InvalidArgumentForNthValueFunction 22018 InvalidCharacterValueForCast
22019 InvalidEscapeCharacter 2201B InvalidRegularExpression
2201E InvalidArgumentForLogarithm 2201F InvalidArgumentForPowerFunction
2201G InvalidArgumentForWidthBucketFunction 2201W InvalidRowCountInLimitClause
2201X InvalidRowCountInResultOffsetClause 22021 CharacterNotInRepertoire
22022 IndicatorOverflow 22023 InvalidParameterValue 22024 UnterminatedCString
22025 InvalidEscapeSequence 22026 StringDataLengthMismatch 22027 TrimError
2202E ArraySubscriptError 2202G InvalidTablesampleRepeat 2202H InvalidTablesampleArgument
22030 DuplicateJsonObjectKeyValue 22031 InvalidArgumentForSqlJsonDatetimeFunction
22032 InvalidJsonText 22033 InvalidSqlJsonSubscript 22034 MoreThanOneSqlJsonItem
22035 NoSqlJsonItem 22036 NonNumericSqlJsonItem 22037 NonUniqueKeysInAJsonObject
22038 SingletonSqlJsonItemRequired 22039 SqlJsonArrayNotFound 2203A SqlJsonMemberNotFound
2203B SqlJsonNumberNotFound 2203C SqlJsonObjectNotFound 2203D TooManyJsonArrayElements
2203E TooManyJsonObjectMembers 2203F SqlJsonScalarRequired
2203G SqlJsonItemCannotBeCastToTargetType 22P01 FloatingPointException
22P02 InvalidTextRepresentation 22P03 InvalidBinaryRepresentation 22P04 BadCopyFileFormat
22P05 UntranslatableCharacter 22P06 NonstandardUseOfEscapeCharacter
23000 IntegrityConstraintViolation 23001 RestrictViolation 23502 NotNullViolation
23503 ForeignKeyViolation 23505 UniqueViolation 23514 CheckViolation
23P01 ExclusionViolation 24000 InvalidCursorState 25000 InvalidTransactionState
25001 ActiveSqlTransaction 25002 BranchTransactionAlreadyActive
25003 InappropriateAccessModeForBranchTransaction
25004 InappropriateIsolationLevelForBranchTransaction
25005 NoActiveSqlTransactionForBranchTransaction 25006 ReadOnlySqlTransaction
25007 SchemaAndDataStatementMixingNotSupported 25008 HeldCursorRequiresSameIsolationLevel
25P01 NoActiveSqlTransaction 25P02 InFailedSqlTransaction
25P03 IdleInTransactionSessionTimeout 25P04 TransactionTimeout
26000 InvalidSqlStatementName 27000 TriggeredDataChangeViolation
28000 InvalidAuthorizationSpecification 28P01 InvalidPassword
2B000 DependentPrivilegeDescriptorsStillExist 2BP01 DependentObjectsStillExist
2D000 InvalidTransactionTermination 2F000 SqlRoutineException
2F002 ModifyingSqlDataNotPermitted 2F003 ProhibitedSqlStatementAttempted
2F004 ReadingSqlDataNotPermitted 2F005 FunctionExecutedNoReturnStatement
34000 InvalidCursorName 38000 ExternalRoutineException 38001 ContainingSqlNotPermitted
38002 ModifyingSqlDataNotPermittedExt 38003 ProhibitedSqlStatementAttemptedExt
38004 ReadingSqlDataNotPermittedExt 39000 ExternalRoutineInvocationException
39001 InvalidSqlstateReturned 39004 NullValueNotAllowedExt 39P01 TriggerProtocolViolated
39P02 SrfProtocolViolated 39P03 EventTriggerProtocolViolated 3B000 SavepointException
3B001 InvalidSavepointSpecification 3D000 InvalidCatalogName 3F000 InvalidSchemaName
40000 TransactionRollback 40001 SerializationFailure
40002 TransactionIntegrityConstraintViolation 40003 StatementCompletionUnknown
40P01 DeadlockDetected 42000 SyntaxErrorOrAccessRuleViolation 42501 InsufficientPrivilege
42601 SyntaxError 42602 InvalidName 42611 InvalidColumnDefinition 42622 NameTooLong
42701 DuplicateColumn 42702 AmbiguousColumn 42703 UndefinedColumn 42704 UndefinedObject
42710 DuplicateObject 42712 DuplicateAlias 42723 DuplicateFunction 42725 AmbiguousFunction
42803 GroupingError 42804 DatatypeMismatch 42809 WrongObjectType 42830 InvalidForeignKey
42846 CannotCoerce 42883 UndefinedFunction 428C9 GeneratedAlways 42939 ReservedName
42P01 UndefinedTable 42P02 UndefinedParameter 42P03 DuplicateCursor
42P04 DuplicateDatabase 42P05 DuplicatePreparedStatement 42P06 DuplicateSchema
42P07 DuplicateTable 42P08 AmbiguousParameter 42P09 AmbiguousAlias
42P10 InvalidColumnReference 42P11 InvalidCursorDefinition 42P12 InvalidDatabaseDefinition
42P13 InvalidFunctionDefinition 42P14 InvalidPreparedStatementDefinition
42P15 InvalidSchemaDefinition 42P16 InvalidTableDefinition 42P17 InvalidObjectDefinition
42P18 IndeterminateDatatype 42P19 InvalidRecursion 42P20 WindowingError
42P21 CollationMismatch 42P22 IndeterminateCollation 44000 WithCheckOptionViolation
53000 InsufficientResources 53100 DiskFull 53200 OutOfMemory 53300 TooManyConnections
53400 ConfigurationLimitExceeded 54000 ProgramLimitExceeded 54001 StatementTooComplex
54011 TooManyColumns 54023 TooManyArguments 55000 ObjectNotInPrerequisiteState
55006 ObjectInUse 55P02 CantChangeRuntimeParam 55P03 LockNotAvailable
55P04 UnsafeNewEnumValueUsage 57000 OperatorIntervention 57014 QueryCanceled
57P01 AdminShutdown 57P02 CrashShutdown 57P03 CannotConnectNow 57P04 DatabaseDropped
57P05 IdleSessionTimeout 58000 SystemError 58030 IoError 58P01 UndefinedFile
58P02 DuplicateFile 58P03 FileNameTooLong 72000 SnapshotTooOld F0000 ConfigFileError
F0001 LockFileExists HV000 FdwError HV001 FdwOutOfMemory
HV002 FdwDynamicParameterValueNeeded HV004 FdwInvalidDataType HV005 FdwColumnNameNotFound
HV006 FdwInvalidDataTypeDescriptors HV007 FdwInvalidColumnName
HV008 FdwInvalidColumnNumber HV009 FdwInvalidUseOfNullPointer HV00A FdwInvalidStringFormat
HV00B FdwInvalidHandle HV00C FdwInvalidOptionIndex HV00D FdwInvalidOptionName
HV00J FdwOptionNameNotFound HV00K FdwReplyHandle HV00L FdwUnableToCreateExecution
HV00M FdwUnableToCreateReply HV00N FdwUnableToEstablishConnection HV00P FdwNoSchemas
HV00Q FdwSchemaNotFound HV00R FdwTableNotFound HV010 FdwFunctionSequenceError
HV014 FdwTooManyHandles HV021 FdwInconsistentDescriptorInformation
HV024 FdwInvalidAttributeValue HV090 FdwInvalidStringLengthOrBufferLength
HV091 FdwInvalidDescriptorFieldIdentifier P0000 PlpgsqlError P0001 RaiseException
P0002 NoDataFound P0003 TooManyRows P0004 AssertFailure XX000 InternalError_
XX001 DataCorrupted XX002 IndexCorrupted
"""

_names_by_code: dict[str, str] = {}
_codes_by_name: dict[str, str] = {}
_classes_by_code: dict[str, type[Error]] = {}


def _load_names() -> None:
    if _names_by_code:
        return
    words = _SQLSTATE_NAMES.split()
    for index in range(0, len(words), 2):
        _names_by_code[words[index]] = words[index + 1]
        _codes_by_name[words[index + 1]] = words[index]


def base_class(sqlstate: str) -> type[Error]:
    """The DB-API class for an SQLSTATE from its class (``23505`` -> ``IntegrityError``)."""
    if sqlstate == "57014":
        return QueryCanceledError
    return _CLASS_BASES.get(sqlstate[:2], DatabaseError)


def lookup(sqlstate: str) -> type[Error]:
    """The exception class raised for ``sqlstate`` (``"23505"`` -> ``UniqueViolation``).

    An SQLSTATE that PostgreSQL does not define maps to its class's DB-API class, else
    ``DatabaseError``.
    """
    cls = _classes_by_code.get(sqlstate)
    if cls is not None:
        return cls
    _load_names()
    name = _names_by_code.get(sqlstate)
    if name is None:
        return base_class(sqlstate)
    cls = globals().get(name)  # written out above
    if cls is None:
        cls = type(
            name, (base_class(sqlstate),), {"__doc__": f"{sqlstate}.", "__module__": __name__}
        )
        globals()[name] = cls
    _classes_by_code[sqlstate] = cls
    return cls


def error_from_fields(fields: Mapping[str, str], *, startup: bool = False) -> Error:
    """The exception for a server ErrorResponse, its text formatted as psql shows it.

    ``startup``: the error came before the connection was ready, so one without a specific
    class (no or an unknown SQLSTATE) is an OperationalError, as libpq reports it.
    """
    severity = fields.get("S") or fields.get("V") or "ERROR"
    message = fields.get("M")
    if not message:
        code = fields.get("C")
        message = "the server sent an error without a message" + (
            f" (SQLSTATE {code})" if code else ""
        )
    text = f"{severity}:  {message}"
    if "D" in fields:
        text += f"\nDETAIL:  {fields['D']}"
    if "H" in fields:
        text += f"\nHINT:  {fields['H']}"
    cls = lookup(fields.get("C", ""))
    if startup and cls is DatabaseError:
        cls = OperationalError
    return cls(text, fields=fields)


def __getattr__(name: str) -> type[Error]:
    """Create the less common SQLSTATE classes (``errors.DiskFull``...) on first use."""
    _load_names()
    code = _codes_by_name.get(name)
    if code is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return lookup(code)


__all__ = [
    "DataError",
    "DatabaseError",
    "Diagnostics",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "QueryCanceledError",
    "TransactionRollbackError",
    "Warning",
    "base_class",
    "error_from_fields",
    "lookup",
]
