<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * What one import run did (or, in a dry run, would do).
 */
final class ImportReport {

  public const CREATED = 'created';
  public const LINKED = 'linked';
  public const UPDATED = 'updated';
  public const UNCHANGED = 'unchanged';
  public const CONFLICT = 'conflict';
  public const BLOCKED = 'blocked';
  public const DELETED = 'deleted';
  public const SKIPPED = 'skipped';
  public const FAILED = 'failed';

  /**
   * A mail or name match waits for an admin's approval (nothing written).
   */
  public const REVIEW = 'review';

  /**
   * A removal held by the accidental-deletion threshold.
   */
  public const HELD = 'held';

  public const COUNTERS = [self::CREATED, self::LINKED, self::UPDATED, self::UNCHANGED, self::REVIEW, self::CONFLICT, self::BLOCKED, self::DELETED, self::HELD, self::SKIPPED, self::FAILED];

  /**
   * Rows kept for display (the counters cover everything).
   */
  public const MAX_ROWS = 500;

  /**
   * @var array<string, int>
   */
  public array $counts;

  /**
   * One row per change: [result, entra id, upn, uid, detail].
   *
   * @var list<array{result: string, id: string, upn: string, uid: ?int, detail: string}>
   */
  public array $rows = [];

  /**
   * Library calls made (each reads up to "pages per call" Graph pages).
   */
  public int $calls = 0;

  public int $resyncs = 0;

  public int $skippedGuests = 0;

  /**
   * The removals this run saw (applied when their round completes).
   *
   * @var list<array{uid: int, id: string, upn: string, reason: string}>
   */
  public array $removals = [];

  /**
   * Removals held at the end of the round by the accidental-deletion
   * threshold (0 when none).
   */
  public int $heldRemovals = 0;

  /**
   * Whether the round reached its delta link (false: a next link is stored
   * and the next run continues from there).
   */
  public bool $completed = FALSE;

  /**
   * Roles granted or revoked by the group rules (or that would be, in a dry
   * run): [op (grant|revoke), uid, id, role, groups].
   *
   * @var list<array{op: string, uid: int, id: string, role: string, groups: list<string>}>
   */
  public array $roleChanges = [];

  /**
   * Why the run stopped early (ResultFormatter::describeError() shape), or null.
   *
   * @var array<string, mixed>|null
   */
  public ?array $error = NULL;

  public function __construct(
    public readonly bool $full,
    public readonly bool $dryRun
  ) {
    $this->counts = array_fill_keys(self::COUNTERS, 0);
  }

  public function add(string $result, string $id, string $upn, ?int $uid, string $detail): void {
    $this->counts[$result] = ($this->counts[$result] ?? 0) + 1;
    if (count($this->rows) < self::MAX_ROWS) {
      $this->rows[] = ['result' => $result, 'id' => $id, 'upn' => $upn, 'uid' => $uid, 'detail' => $detail];
    }
  }

  public function ok(): bool {
    return $this->error === NULL && $this->counts[self::FAILED] === 0;
  }

  /**
   * 0 when the run finished without an error and no change failed.
   */
  public function exitCode(): int {
    return $this->ok() ? 0 : 1;
  }

  /**
   * One line for logs and messages.
   */
  public function summary(): string {
    $parts = [];
    foreach ($this->counts as $name => $n) {
      $parts[] = $n . ' ' . $name;
    }
    $line = ($this->dryRun ? 'Dry run, nothing written: ' : '') . implode(', ', $parts) . sprintf(' (%d call(s)', $this->calls);
    if ($this->resyncs > 0) {
      $line .= ', full resync after an expired delta link';
    }
    if ($this->skippedGuests > 0) {
      $line .= sprintf(', %d guest(s) skipped', $this->skippedGuests);
    }
    if ($this->roleChanges !== []) {
      $grants = count(array_filter($this->roleChanges, static fn (array $c): bool => $c['op'] === 'grant'));
      $line .= sprintf(', roles from groups: %d granted, %d revoked', $grants, count($this->roleChanges) - $grants);
    }
    if ($this->heldRemovals > 0) {
      $line .= sprintf(', %d removal(s) held by the accidental-deletion threshold: release them after checking Entra ID', $this->heldRemovals);
    }
    $line .= $this->completed ? ', round complete)' : ', round not complete yet: the next run continues)';

    return $line . '.';
  }

  /**
   * The record kept in State for the overview and the status report.
   *
   * @return array<string, mixed>
   */
  public function toState(int $time): array {
    return [
      'time' => $time,
      'ok' => $this->ok(),
      'full' => $this->full,
      'completed' => $this->completed,
      'counts' => $this->counts,
      'calls' => $this->calls,
      'resyncs' => $this->resyncs,
      'held_removals' => $this->heldRemovals,
      'role_changes' => count($this->roleChanges),
      'error' => $this->error,
    ];
  }

}
