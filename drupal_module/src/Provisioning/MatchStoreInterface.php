<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Proposed matches between Drupal accounts and Entra users (table
 * entra_provisioning_match), one row per direction, uid and Entra id.
 */
interface MatchStoreInterface {

  /**
   * Stores a proposal, or refreshes the stored one of the same pair
   * (candidate, values, reasons, changed). A pair an admin rejected stays
   * rejected.
   *
   * @return array{0: PendingMatch, 1: bool}
   *   The stored match, and whether it is new (so it is logged once).
   */
  public function propose(PendingMatch $match): array;

  public function load(int $id): ?PendingMatch;

  /**
   * The stored match of one pair, whatever its status.
   */
  public function find(string $direction, int $uid, string $entraId): ?PendingMatch;

  /**
   * Matches with this status, oldest first.
   *
   * @return list<PendingMatch>
   */
  public function byStatus(string $status, int $limit = 200): array;

  /**
   * Pending matches per direction.
   *
   * @return array<string, int>
   */
  public function countPending(): array;

  public function setStatus(int $id, string $status, int $now): void;

  public function delete(int $id): void;

  /**
   * Removes the other proposals of the uid or of the Entra user of a link
   * that now exists (they can no longer be approved).
   */
  public function deleteForLink(int $uid, string $entraId): void;
}
