<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\EntraNative;
use Drupal\entra_provisioning\Native\FfiLoader;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\NativeClientInterface;

/**
 * NativeFactoryInterface over the FFI binding EntraNative.
 */
final class EntraNativeFactory implements NativeFactoryInterface {

  public function create(
    #[\SensitiveParameter]
    array $config,
    string $library,
    string $header,
    ?string $mode
  ): NativeClientInterface {
    return new EntraNative($config, $library, $header, $mode);
  }

  public function validate(
    #[\SensitiveParameter]
    array $config,
    string $library,
    string $header,
    ?string $mode
  ): void {
    $native = new EntraNative($config, $library, $header, $mode);
    try {
      $native->connect();
    }
    finally {
      $native->close();
    }
  }

  public function environment(string $library, string $header): array {
    return FfiLoader::environment($library, $header);
  }

  public function probe(string $library, string $header, ?string $mode): array {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      $info = $native->info();

      return [
        'ok' => TRUE,
        'version' => (string) $info['version'],
        'abi_version' => (int) $info['abi_version'],
        'expected_abi' => FfiLoader::ABI_VERSION,
        'mode' => (string) $info['mode'],
        'error' => NULL,
      ];
    }
    catch (EntraException $e) {
      return [
        'ok' => FALSE,
        'version' => NULL,
        'abi_version' => NULL,
        'expected_abi' => FfiLoader::ABI_VERSION,
        'mode' => NULL,
        'error' => $e->getMessage(),
      ];
    }
    finally {
      $native->close();
    }
  }

  public function mappableProperties(string $library, string $header, ?string $mode): array {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      $result = $native->mappableProperties();
    }
    finally {
      $native->close();
    }
    $properties = [];
    foreach (is_array($result['properties'] ?? NULL) ? $result['properties'] : [] as $property) {
      if (is_array($property) && is_string($property['name'] ?? NULL)) {
        $properties[] = ['name' => $property['name'], 'max_length' => is_int($property['max_length'] ?? NULL) ? $property['max_length'] : NULL];
      }
    }
    $fixed = is_array($result['fixed'] ?? NULL) ? array_values(array_filter($result['fixed'], 'is_string')) : [];

    return ['properties' => $properties, 'fixed' => $fixed];
  }

  public function describe(string $library, string $header, ?string $mode): LibraryFacts {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      return new LibraryFacts($native->describe());
    }
    finally {
      $native->close();
    }
  }

  public function decide(array $question, string $library, string $header, ?string $mode): array {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      return $native->decide($question);
    }
    finally {
      $native->close();
    }
  }

  public function checkCertificate(
    string $certificatePem,
    #[\SensitiveParameter]
    ?string $privateKeyPem,
    string $library,
    string $header,
    ?string $mode
  ): array {
    $native = new EntraNative([], $library, $header, $mode);
    try {
      return $native->checkCertificate($certificatePem, $privateKeyPem);
    }
    finally {
      $native->close();
    }
  }

}
