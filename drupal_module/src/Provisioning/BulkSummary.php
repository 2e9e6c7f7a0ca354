<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The outcome of a bulk synchronisation: counts per result and each failure
 * with its cause. Serializable as an array (Batch API results).
 */
final class BulkSummary {

  public const CREATED = 'created';
  public const LINKED = 'linked';
  public const UPDATED = 'updated';
  public const UNCHANGED = 'unchanged';
  public const QUEUED = 'queued';
  public const REVIEW = 'match pending';
  public const FAILED = 'failed';

  /**
   * Results in the order of the final table. "queued": throttled or Graph
   * unavailable; the work was handed to the queue and finishes later.
   * "match pending": the UPN or mail is held by an existing Entra account;
   * an admin approves or rejects the match.
   */
  public const COUNTERS = [self::CREATED, self::LINKED, self::UPDATED, self::UNCHANGED, self::QUEUED, self::REVIEW, self::FAILED];

  /**
   * Failures kept with their cause (the counter covers all of them).
   */
  public const MAX_FAILURES = 1000;

  /**
   * @var array<string, int>
   */
  public array $counts;

  /**
   * @var list<array{uid: int, name: string, cause: string}>
   */
  public array $failures = [];

  /**
   * Why the run stopped before the end (a blocking error), or null.
   */
  public ?string $aborted = NULL;

  /**
   * Set when Graph could take none of the last chunk (throttled or out of
   * reach: every user of it went to the queue). The run does not send the
   * next chunk, which would only meet the same; see stopBeforeNextChunk().
   */
  public ?string $outage = NULL;

  /**
   * Group membership changes queued for the users created or linked (the
   * groups their roles map to).
   */
  public int $membershipChanges = 0;

  public function __construct() {
    $this->counts = array_fill_keys(self::COUNTERS, 0);
  }

  /**
   * Counts one user's result (created, linked, updated, unchanged, queued).
   */
  public function add(string $result): void {
    if (!in_array($result, self::COUNTERS, TRUE) || $result === self::FAILED) {
      throw new \InvalidArgumentException(sprintf('Unknown bulk result "%s".', $result));
    }
    $this->counts[$result]++;
  }

  public function fail(int $uid, string $name, string $cause): void {
    $this->counts[self::FAILED]++;
    if (count($this->failures) < self::MAX_FAILURES) {
      $this->failures[] = ['uid' => $uid, 'name' => $name, 'cause' => $cause];
    }
  }

  public function merge(self $other): void {
    $this->membershipChanges += $other->membershipChanges;
    foreach ($other->counts as $result => $n) {
      $this->counts[$result] = ($this->counts[$result] ?? 0) + $n;
    }
    foreach ($other->failures as $failure) {
      if (count($this->failures) < self::MAX_FAILURES) {
        $this->failures[] = $failure;
      }
    }
    $this->aborted = $this->aborted ?? $other->aborted;
    $this->outage = $other->outage;
  }

  /**
   * Whether the run must stop before another chunk: marks it stopped then.
   */
  public function stopBeforeNextChunk(): bool {
    if ($this->outage !== NULL && $this->aborted === NULL) {
      $this->aborted = $this->outage . ' The users sent so far are queued and need nothing; the rest was not sent: run the synchronisation again once Microsoft Graph answers.';
    }

    return $this->aborted !== NULL;
  }

  public function processed(): int {
    return array_sum($this->counts);
  }

  /**
   * 0 when every user was created, linked, updated, unchanged, queued or
   * is waiting for an admin's review of a match.
   */
  public function exitCode(): int {
    return $this->counts[self::FAILED] === 0 && $this->aborted === NULL ? 0 : 1;
  }

  /**
   * The final table: [result, count] rows.
   *
   * @return list<array{0: string, 1: int}>
   */
  public function rows(): array {
    $rows = [];
    foreach (self::COUNTERS as $result) {
      if (!in_array($result, [self::QUEUED, self::REVIEW], TRUE) || $this->counts[$result] > 0) {
        $rows[] = [$result, $this->counts[$result]];
      }
    }

    return $rows;
  }

  public function summary(): string {
    $parts = [];
    foreach ($this->rows() as [$result, $n]) {
      $parts[] = $n . ' ' . $result;
    }
    $line = implode(', ', $parts) . '.';
    if ($this->aborted !== NULL) {
      $line .= ' Stopped early: ' . $this->aborted;
    }

    return $line;
  }

  /**
   * @return array{counts: array<string, int>, failures: list<array{uid: int, name: string, cause: string}>, aborted: ?string, outage: ?string}
   */
  public function toArray(): array {
    return ['counts' => $this->counts, 'failures' => $this->failures, 'aborted' => $this->aborted, 'outage' => $this->outage];
  }

  /**
   * @param mixed $data
   *   A toArray() result (anything else gives an empty summary).
   */
  public static function fromArray($data): self {
    $summary = new self();
    if (!is_array($data)) {
      return $summary;
    }
    foreach (self::COUNTERS as $result) {
      $summary->counts[$result] = (int) ($data['counts'][$result] ?? 0);
    }
    foreach (is_array($data['failures'] ?? NULL) ? $data['failures'] : [] as $failure) {
      if (is_array($failure)) {
        $summary->failures[] = ['uid' => (int) ($failure['uid'] ?? 0), 'name' => (string) ($failure['name'] ?? ''), 'cause' => (string) ($failure['cause'] ?? '')];
      }
    }
    $summary->aborted = isset($data['aborted']) && is_string($data['aborted']) ? $data['aborted'] : NULL;
    $summary->outage = isset($data['outage']) && is_string($data['outage']) ? $data['outage'] : NULL;

    return $summary;
  }

}
