<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

/**
 * The EntraStatus codes of the C ABI (include/entra_provisioning.h).
 *
 * The numbers are append-only on the Rust side; a test compares them with
 * what the library reports (entra_describe) and with the header's constants.
 * Each status's kind, title and retryability come from the library.
 */
final class Status {

  public const OK = 0;
  public const INVALID_ARGUMENT = 1;
  public const CONFIG = 2;
  public const AUTH = 3;
  public const PERMISSION = 4;
  public const VALIDATION = 5;
  public const CONFLICT = 6;
  public const NOT_FOUND = 7;
  public const THROTTLED = 8;
  public const TRANSIENT = 9;
  public const GRAPH = 10;
  public const PANIC = 11;

  private function __construct() {
  }

}
