<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The per-user link records (table entra_provisioning_link).
 */
interface LinkStoreInterface
{
    public function load(int $uid): ?LinkRecord;

    /**
     * Finds the record linked to an Entra object id (used by the import).
     */
    public function loadByEntraId(string $entraId): ?LinkRecord;

    /**
     * Inserts or replaces the record of $record->uid.
     */
    public function save(LinkRecord $record): void;

    public function delete(int $uid): void;

    /**
     * Number of records per last_result.
     *
     * @return array{ok: int, failed: int, pending: int}
     */
    public function countByResult(): array;
}
