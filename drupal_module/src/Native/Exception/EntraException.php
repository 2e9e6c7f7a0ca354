<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native\Exception;

use Drupal\entra_provisioning\Native\Status;

/**
 * Base of every exception the native binding throws.
 *
 * The exception code is the EntraStatus returned by the library (-1 when the
 * failure happened in PHP before or after the native call). The details come
 * from the library's error JSON; none of them ever carries a secret or token.
 */
class EntraException extends \RuntimeException {

  /**
   * Status code => exception class. The status decides the class; the
   * error JSON's "kind" is only informative.
   */
  private const CLASSES = [
    Status::INVALID_ARGUMENT => InvalidArgumentException::class,
    Status::CONFIG => ConfigException::class,
    Status::AUTH => AuthException::class,
    Status::PERMISSION => PermissionException::class,
    Status::VALIDATION => ValidationException::class,
    Status::CONFLICT => ConflictException::class,
    Status::NOT_FOUND => NotFoundException::class,
    Status::THROTTLED => ThrottledException::class,
    Status::TRANSIENT => TransientException::class,
    Status::GRAPH => GraphException::class,
    Status::PANIC => NativePanicException::class,
  ];

  /**
   * @param string $message
   *   Human-readable message; must not contain secrets.
   * @param string $kind
   *   Error kind ("auth", "throttled", ...).
   * @param int $status
   *   EntraStatus code, -1 if the failure is not a native status.
   * @param array<string, mixed> $details
   *   The error JSON (http_status, graph_code, request_id, retry_after_s,
   *   field, hint, aadsts, ...).
   * @param string $operation
   *   The native function (or PHP step) that failed.
   */
  public function __construct(
    string $message,
    private string $kind = 'unknown',
    int $status = -1,
    /**
     * @var array<string, mixed>
     */
    private array $details = [],
    private string $operation = '',
    ?\Throwable $previous = NULL
  ) {
    parent::__construct($message, $status, $previous);
  }

  /**
   * Builds the typed exception for a non-OK status and its error JSON.
   *
   * @param array<string, mixed> $error
   *   The decoded error JSON (may be empty if the library could not
   *   allocate it).
   */
  public static function fromStatus(int $status, array $error, string $operation = ''): self {
    $class = self::CLASSES[$status] ?? self::class;
    // The library names the kind of each status; an error object it could
    // not allocate has none.
    $kind = isset($error['kind']) && is_string($error['kind']) ? $error['kind'] : 'unknown';
    $message = isset($error['message']) && is_string($error['message']) && $error['message'] !== ''
      ? $error['message'] . self::facts($error)
      : sprintf('%s failed with status %d (%s)', $operation !== '' ? $operation : 'native call', $status, $kind);

    return new $class($message, $kind, $status, $error, $operation);
  }

  /**
   * " (AADSTS…, HTTP 401, code …, request-id …)" for the exception message,
   * so a logged exception keeps the facts; ResultFormatter lays them out
   * from the fields instead (detailMessage() has the sentence only).
   *
   * @param array<string, mixed> $error
   */
  private static function facts(array $error): string {
    $facts = [];
    if (is_string($error['aadsts'] ?? NULL) && $error['aadsts'] !== '') {
      $facts[] = $error['aadsts'];
    }
    if (is_int($error['http_status'] ?? NULL)) {
      $facts[] = 'HTTP ' . $error['http_status'];
    }
    if (is_string($error['graph_code'] ?? NULL) && $error['graph_code'] !== '') {
      $facts[] = 'code ' . $error['graph_code'];
    }
    if (is_string($error['request_id'] ?? NULL) && $error['request_id'] !== '') {
      $facts[] = 'request-id ' . $error['request_id'];
    }

    return $facts === [] ? '' : ' (' . implode(', ', $facts) . ')';
  }

  /**
   * Builds the typed exception for an error JSON that came without a return
   * status, e.g. a failed entry of bulkProvision()'s "results" (each error
   * object carries its "status").
   *
   * @param array<string, mixed> $error
   */
  public static function fromErrorArray(array $error, string $operation = ''): self {
    $kind = isset($error['kind']) && is_string($error['kind']) ? $error['kind'] : NULL;
    $status = $error['status'] ?? NULL;
    if (!is_int($status) || $status === Status::OK) {
      $message = isset($error['message']) && is_string($error['message']) ? $error['message'] : 'Unknown native error.';

      return new self($message, $kind ?? 'unknown', -1, $error, $operation);
    }

    return self::fromStatus($status, $error, $operation);
  }

  /**
   * The error kind: the library's (entra_describe lists them), or
   * "unavailable"/"internal"/"unknown" for failures before the library.
   */
  public function kind(): string {
    return $this->kind;
  }

  /**
   * The EntraStatus code (-1 when not from the library).
   */
  public function status(): int {
    return (int) $this->getCode();
  }

  /**
   * The native function or PHP step that failed, e.g. "entra_provision_user".
   */
  public function operation(): string {
    return $this->operation;
  }

  public function httpStatus(): ?int {
    return $this->intDetail('http_status');
  }

  public function graphCode(): ?string {
    return $this->stringDetail('graph_code');
  }

  public function requestId(): ?string {
    return $this->stringDetail('request_id');
  }

  public function retryAfterSeconds(): ?float {
    $value = $this->details['retry_after_s'] ?? NULL;

    return is_int($value) || is_float($value) ? (float) $value : NULL;
  }

  public function field(): ?string {
    return $this->stringDetail('field');
  }

  /**
   * What to fix, when the library knows.
   */
  public function hint(): ?string {
    return $this->stringDetail('hint');
  }

  /**
   * The AADSTS code of a token endpoint error, e.g. "AADSTS7000215".
   */
  /**
   * The library's heading for this kind of failure, if it gave one.
   */
  public function title(): ?string {
    $title = $this->details['title'] ?? NULL;

    return is_string($title) && $title !== '' ? $title : NULL;
  }

  public function aadsts(): ?string {
    return $this->stringDetail('aadsts');
  }

  /**
   * The library's sentence, without the codes and request-id that have
   * fields of their own.
   */
  public function detailMessage(): string {
    $message = $this->details['message'] ?? NULL;

    return is_string($message) && $message !== '' ? $message : $this->getMessage();
  }

  /**
   * The account that already holds the UPN or mail of a create (conflicts
   * only): ['id', 'userPrincipalName', 'displayName', 'mail',
   * 'accountEnabled', 'privileged' => ?bool, 'matched_on'].
   *
   * @return array<string, mixed>|null
   */
  public function existing(): ?array {
    $existing = $this->details['existing'] ?? NULL;

    return is_array($existing) && is_string($existing['id'] ?? NULL) && $existing['id'] !== '' ? $existing : NULL;
  }

  /**
   * Whether retrying the same call later may succeed: the library's
   * "retryable" (false for failures of the binding itself).
   */
  public function isRetryable(): bool {
    return ($this->details['retryable'] ?? FALSE) === TRUE;
  }

  /**
   * Whose failure it is, as the library decides: "user" (this one user's
   * data or account: the queue goes on with the others) or "connection"
   * (configuration, credentials, permission, the library itself: every
   * user would fail, the queue is suspended). A failure of the binding
   * (no FFI, no library) is the connection's.
   */
  public function scope(): string {
    return ($this->details['scope'] ?? NULL) === 'user' ? 'user' : 'connection';
  }

  /**
   * The raw error JSON as decoded (future fields included).
   *
   * @return array<string, mixed>
   */
  public function details(): array {
    return $this->details;
  }

  /**
   * A flat array that is safe to log (no trace, no arguments, no secrets).
   *
   * @return array<string, mixed>
   */
  public function toArray(): array {
    return [
      'exception' => static::class,
      'kind' => $this->kind(),
      'status' => $this->status(),
      'operation' => $this->operation,
      'message' => $this->getMessage(),
      'http_status' => $this->httpStatus(),
      'graph_code' => $this->graphCode(),
      'request_id' => $this->requestId(),
      'retry_after_s' => $this->retryAfterSeconds(),
      'field' => $this->field(),
      'hint' => $this->hint(),
      'aadsts' => $this->aadsts(),
      'retryable' => $this->isRetryable(),
      'scope' => $this->scope(),
    ];
  }

  private function stringDetail(string $key): ?string {
    $value = $this->details[$key] ?? NULL;

    return is_string($value) && $value !== '' ? $value : NULL;
  }

  private function intDetail(string $key): ?int {
    $value = $this->details[$key] ?? NULL;
    if (is_int($value)) {
      return $value;
    }

    return is_float($value) ? (int) $value : NULL;
  }

}
