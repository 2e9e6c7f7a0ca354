<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Marks the stretch of a request in which this module itself writes Drupal
 * accounts (the Entra ID import): the user hooks then queue nothing, so an
 * imported change is never sent back to Entra ID as an update, a creation or
 * a deletion.
 *
 * One instance per request (a container service); nested calls are allowed.
 */
final class EchoGuard {

  private int $depth = 0;

  /**
   * Runs $work with the user hooks muted, and returns its result.
   *
   * @template T
   *
   * @param callable(): T $work
   *
   * @return T
   */
  public function suppress(callable $work) {
    $this->depth++;
    try {
      return $work();
    }
    finally {
      $this->depth--;
    }
  }

  public function isSuppressed(): bool {
    return $this->depth > 0;
  }

}
