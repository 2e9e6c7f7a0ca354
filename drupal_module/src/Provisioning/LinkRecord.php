<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * One row of the entra_provisioning_link table: a Drupal account and its
 * Entra ID counterpart, with the outcome of the last action.
 *
 * queuedSeq / doneSeq order the queue items of one user: queuedSeq is the
 * last sequence number handed out (LinkStoreInterface::reserveSequence()),
 * doneSeq the last one finished (LinkStoreInterface::markDone()). Only those
 * two methods write them; save() keeps the stored values, so a record loaded
 * before a concurrent enqueue never moves the counters back.
 */
final class LinkRecord {

  public const RESULT_OK = 'ok';
  public const RESULT_FAILED = 'failed';
  public const RESULT_PENDING = 'pending';

  /**
   * A create met an existing Entra account: a pending match waits for an
   * admin (nothing was linked or sent to that account).
   */
  public const RESULT_REVIEW = 'review';

  public const RESULTS = [self::RESULT_OK, self::RESULT_FAILED, self::RESULT_PENDING, self::RESULT_REVIEW];

  /**
   * How a link came to be (the library's matching::Provenance names):
   * this site created the other side, an admin approved the match, or the
   * opt-in automatic policy matched it. Only "created" and "approved" links
   * carry deprovisioning unless the admin opts in for "matched" too.
   */
  public const PROVENANCE_CREATED = 'created';
  public const PROVENANCE_APPROVED = 'approved';
  public const PROVENANCE_MATCHED = 'matched';

  public readonly int $queuedSeq;

  public readonly int $doneSeq;

  /**
   * created, approved, matched, or null (a link made before provenance
   * was recorded: treated as matched).
   */
  public readonly ?string $provenance;

  /**
   * A create sent (or about to be sent) whose outcome is not known yet:
   * the UPN it uses and when the first attempt with it began. A retry
   * passes it to the library, which finds the account that attempt made
   * (even after a crash, or a rename since) instead of creating another.
   */
  public readonly ?string $attemptUpn;

  public readonly ?int $attemptStarted;

  public function __construct(
    public readonly int $uid,
    public readonly ?string $entraId,
    public readonly ?string $upn,
    public readonly string $lastAction,
    public readonly string $lastResult,
    public readonly ?string $lastErrorCode,
    public readonly ?string $lastErrorMessage,
    public readonly ?string $requestId,
    public readonly int $created,
    public readonly int $changed,
    int $queuedSeq = 0,
    int $doneSeq = 0,
    ?string $provenance = NULL,
    ?string $attemptUpn = NULL,
    ?int $attemptStarted = NULL
  ) {
    if (!in_array($lastResult, self::RESULTS, TRUE)) {
      throw new \InvalidArgumentException(sprintf('Unknown link result "%s".', $lastResult));
    }
    $this->queuedSeq = max(0, $queuedSeq);
    $this->doneSeq = max(0, $doneSeq);
    $this->provenance = $entraId === NULL || $entraId === '' ? NULL : $provenance;
    $this->attemptUpn = $attemptUpn === '' ? NULL : $attemptUpn;
    $this->attemptStarted = $this->attemptUpn === NULL ? NULL : $attemptStarted;
  }

  /**
   * Whether the account is linked to an Entra object.
   */
  public function isLinked(): bool {
    return $this->entraId !== NULL && $this->entraId !== '';
  }

  /**
   * The record after work was queued (keeps the link and the last error).
   */
  public static function pending(?self $existing, int $uid, string $action, int $now): self {
    return new self(
      $uid,
      $existing?->entraId,
      $existing?->upn,
      $action,
      self::RESULT_PENDING,
      $existing?->lastErrorCode,
      $existing?->lastErrorMessage,
      $existing?->requestId,
      $existing?->created ?? $now,
      $now,
      $existing?->queuedSeq ?? 0,
      $existing?->doneSeq ?? 0,
      $existing?->provenance,
      $existing?->attemptUpn,
      $existing?->attemptStarted
    );
  }

  /**
   * The record before a create is sent: the UPN it uses, and the time of
   * the first attempt with that UPN (kept across retries).
   */
  public static function attempting(?self $existing, int $uid, string $upn, int $now): self {
    $started = $existing !== NULL && $existing->attemptUpn !== NULL && strcasecmp($existing->attemptUpn, $upn) === 0 ? (int) $existing->attemptStarted : $now;

    return self::pending($existing, $uid, QueueItem::OP_PROVISION, $now)->withAttempt($upn, $started);
  }

  /**
   * This record without its pending create: Graph answered it for good
   * (created, a conflict, a rejection), so no account of it can be lost.
   */
  public function withoutAttempt(): self {
    return $this->withAttempt(NULL, NULL);
  }

  private function withAttempt(?string $upn, ?int $started): self {
    return new self($this->uid, $this->entraId, $this->upn, $this->lastAction, $this->lastResult, $this->lastErrorCode, $this->lastErrorMessage, $this->requestId, $this->created, $this->changed, $this->queuedSeq, $this->doneSeq, $this->provenance, $upn, $started);
  }

  /**
   * The earlier attempt for the library (previous_attempt), or null.
   *
   * @return array{userPrincipalName: string, started: int}|null
   */
  public function previousAttempt(): ?array {
    return $this->attemptUpn !== NULL ? ['userPrincipalName' => $this->attemptUpn, 'started' => (int) $this->attemptStarted] : NULL;
  }

  /**
   * The record after a successful action.
   *
   * @param string|null $provenance
   *   How a new link came to be; null keeps the existing one's.
   */
  public static function succeeded(?self $existing, int $uid, string $action, ?string $entraId, ?string $upn, ?string $requestId, int $now, ?string $provenance = NULL): self {
    return new self(
      $uid,
      $entraId ?? $existing?->entraId,
      $upn ?? $existing?->upn,
      $action,
      self::RESULT_OK,
      NULL,
      NULL,
      $requestId,
      $existing?->created ?? $now,
      $now,
      $existing?->queuedSeq ?? 0,
      $existing?->doneSeq ?? 0,
      $provenance ?? $existing?->provenance
    );
  }

  /**
   * The record after a failed attempt; $result is "failed", "pending"
   * (the work stays queued and will be retried) or "review" (a match waits
   * for an admin).
   */
  public static function failedAttempt(?self $existing, int $uid, string $action, string $result, ?string $code, string $message, ?string $requestId, int $now): self {
    return new self(
      $uid,
      $existing?->entraId,
      $existing?->upn,
      $action,
      $result,
      $code,
      mb_substr($message, 0, 1024),
      $requestId,
      $existing?->created ?? $now,
      $now,
      $existing?->queuedSeq ?? 0,
      $existing?->doneSeq ?? 0,
      $existing?->provenance,
      $existing?->attemptUpn,
      $existing?->attemptStarted
    );
  }

  /**
   * The record after the Entra account was deleted (or found gone): the
   * Drupal account is no longer linked.
   */
  public static function unlinked(?self $existing, int $uid, string $action, ?string $requestId, int $now): self {
    return new self(
      $uid,
      NULL,
      NULL,
      $action,
      self::RESULT_OK,
      NULL,
      NULL,
      $requestId,
      $existing?->created ?? $now,
      $now,
      $existing?->queuedSeq ?? 0,
      $existing?->doneSeq ?? 0
    );
  }

  /**
   * The link's facts for the library (entra_update_user "link",
   * entra_decide): provenance and the site's opt-in for matched links.
   *
   * @return array{provenance: ?string, deprovision_matched: bool}
   */
  public function linkFacts(bool $deprovisionMatched): array {
    return ['provenance' => $this->provenance, 'deprovision_matched' => $deprovisionMatched];
  }

  /**
   * Whether an item with this sequence number must wait for an earlier one.
   */
  public function hasEarlierWork(int $seq): bool {
    return $seq > $this->doneSeq + 1;
  }

  /**
   * @return array<string, int|string|null>
   */
  public function toArray(): array {
    return [
      'uid' => $this->uid,
      'entra_id' => $this->entraId,
      'upn' => $this->upn,
      'last_action' => $this->lastAction,
      'last_result' => $this->lastResult,
      'last_error_code' => $this->lastErrorCode,
      'last_error_message' => $this->lastErrorMessage,
      'request_id' => $this->requestId,
      'created' => $this->created,
      'changed' => $this->changed,
      'queued_seq' => $this->queuedSeq,
      'done_seq' => $this->doneSeq,
      'provenance' => $this->provenance,
      'attempt_upn' => $this->attemptUpn,
      'attempt_started' => $this->attemptStarted,
    ];
  }

  /**
   * @param array<string, mixed> $row
   *   A row of the link table.
   */
  public static function fromArray(array $row): self {
    $string = static function ($value): ?string {
      return $value === NULL || $value === '' ? NULL : (string) $value;
    };

    return new self(
      (int) $row['uid'],
      $string($row['entra_id'] ?? NULL),
      $string($row['upn'] ?? NULL),
      (string) ($row['last_action'] ?? ''),
      (string) ($row['last_result'] ?? self::RESULT_PENDING),
      $string($row['last_error_code'] ?? NULL),
      $string($row['last_error_message'] ?? NULL),
      $string($row['request_id'] ?? NULL),
      (int) ($row['created'] ?? 0),
      (int) ($row['changed'] ?? 0),
      (int) ($row['queued_seq'] ?? 0),
      (int) ($row['done_seq'] ?? 0),
      $string($row['provenance'] ?? NULL),
      $string($row['attempt_upn'] ?? NULL),
      isset($row['attempt_started']) ? (int) $row['attempt_started'] : NULL
    );
  }

}
