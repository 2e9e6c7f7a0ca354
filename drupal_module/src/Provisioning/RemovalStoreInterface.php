<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Removals watched by the accidental-deletion prevention (table
 * entra_provisioning_removal), see HeldRemoval.
 */
interface RemovalStoreInterface {

  /**
   * Records a removal. Collecting one that is already collected or held for
   * the same direction and uid replaces it (a round reports a user once).
   */
  public function add(string $direction, int $uid, ?string $entraId, string $action, string $status, int $now): void;

  /**
   * @return list<HeldRemoval>
   *   Oldest first.
   */
  public function byStatus(string $direction, string $status, int $limit = 1000): array;

  /**
   * How many removals of a direction have this status (changed at or after
   * $since when given).
   */
  public function count(string $direction, string $status, ?int $since = NULL): int;

  /**
   * Moves every removal of a direction from one status to another.
   */
  public function moveAll(string $direction, string $from, string $to, int $now): int;

  public function delete(int $id): void;

  /**
   * Forgets the collected or held removal of an Entra user that came back
   * (restored, or listed again by a full round).
   */
  public function forgetEntraId(string $direction, string $entraId): void;

  /**
   * Drops "done" records older than $before (they only count for an hour).
   */
  public function pruneDone(int $before): void;
}
