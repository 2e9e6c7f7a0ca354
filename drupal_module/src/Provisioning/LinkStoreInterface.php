<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The per-user link records (table entra_provisioning_link).
 */
interface LinkStoreInterface {

  public function load(int $uid): ?LinkRecord;

  /**
   * Finds the record linked to an Entra object id (one at most: the table
   * has a unique index on entra_id).
   */
  public function loadByEntraId(string $entraId): ?LinkRecord;

  /**
   * Inserts or replaces the record of $record->uid.
   *
   * @throws \RuntimeException
   *   When the Entra object is already linked to another uid (the unique
   *   index; callers check loadByEntraId() first, this is the last guard).
   *
   * The sequence counters (queued_seq, done_seq) of an existing row are
   * kept: only reserveSequence() and markDone() change them.
   */
  public function save(LinkRecord $record): void;

  public function delete(int $uid): void;

  /**
   * Number of records per last_result.
   *
   * @return array{ok: int, failed: int, pending: int, review: int}
   */
  public function countByResult(): array;

  /**
   * Hands out the next queue sequence number of a user and runs $enqueue
   * with it, atomically: when $enqueue throws, the number is given back
   * (no gap that later items would wait on) and the exception is rethrown.
   * Creates the row (result "pending") when the user has none.
   *
   * @param callable(int): void $enqueue
   *
   * @return int
   *   The sequence number, 1 for the user's first item.
   */
  public function reserveSequence(int $uid, int $now, callable $enqueue): int;

  /**
   * Records that the item with sequence $seq of the user has finished
   * (done_seq never moves back). No-op when the user has no row.
   */
  public function markDone(int $uid, int $seq): void;
}
