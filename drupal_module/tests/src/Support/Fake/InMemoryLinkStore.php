<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\LinkedAccountsInterface;
use Drupal\entra_provisioning\Provisioning\LinkStoreInterface;

/**
 * The link table in memory, with the same counter rules as DatabaseLinkStore:
 * save() keeps the stored sequence counters.
 */
final class InMemoryLinkStore implements LinkStoreInterface, LinkedAccountsInterface {

  /**
   * @var array<int, LinkRecord>
   */
  public array $records = [];

  public function load(int $uid): ?LinkRecord {
    return $this->records[$uid] ?? NULL;
  }

  public function loadByEntraId(string $entraId): ?LinkRecord {
    foreach ($this->records as $record) {
      if ($record->entraId === $entraId) {
        return $record;
      }
    }

    return NULL;
  }

  public function linkedEntraIds(): array {
    $ids = [];
    foreach ($this->records as $uid => $record) {
      if ($record->isLinked()) {
        $ids[$uid] = (string) $record->entraId;
      }
    }

    return $ids;
  }

  public function save(LinkRecord $record): void {
    // The unique index on entra_id, as the database enforces it.
    if ($record->isLinked()) {
      $owner = $this->loadByEntraId((string) $record->entraId);
      if ($owner !== NULL && $owner->uid !== $record->uid) {
        throw new \RuntimeException(sprintf('Integrity constraint violation: entra_id %s is already linked to uid %d.', $record->entraId, $owner->uid));
      }
    }
    $stored = $this->records[$record->uid] ?? NULL;
    if ($stored !== NULL) {
      $record = self::withCounters($record, $stored->queuedSeq, $stored->doneSeq);
    }
    $this->records[$record->uid] = $record;
  }

  public function delete(int $uid): void {
    unset($this->records[$uid]);
  }

  public function countByResult(): array {
    $counts = array_fill_keys(LinkRecord::RESULTS, 0);
    foreach ($this->records as $record) {
      $counts[$record->lastResult]++;
    }

    return $counts;
  }

  public function reserveSequence(int $uid, int $now, callable $enqueue): int {
    $before = $this->records[$uid] ?? NULL;
    $base = $before ?? new LinkRecord($uid, NULL, NULL, '', LinkRecord::RESULT_PENDING, NULL, NULL, NULL, $now, $now);
    $seq = $base->queuedSeq + 1;
    $this->records[$uid] = self::withCounters($base, $seq, $base->doneSeq);
    try {
      $enqueue($seq);
    }
    catch (\Throwable $e) {
      // Roll back, as the database transaction does.
      if ($before === NULL) {
        unset($this->records[$uid]);
      }
      else {
        $this->records[$uid] = $before;
      }
      throw $e;
    }

    return $seq;
  }

  public function markDone(int $uid, int $seq): void {
    $record = $this->records[$uid] ?? NULL;
    if ($record !== NULL && $record->doneSeq < $seq) {
      $this->records[$uid] = self::withCounters($record, $record->queuedSeq, $seq);
    }
  }

  private static function withCounters(LinkRecord $r, int $queued, int $done): LinkRecord {
    return new LinkRecord($r->uid, $r->entraId, $r->upn, $r->lastAction, $r->lastResult, $r->lastErrorCode, $r->lastErrorMessage, $r->requestId, $r->created, $r->changed, $queued, $done, $r->provenance, $r->attemptUpn, $r->attemptStarted);
  }

}
