<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The step 1 form fields behind the library's configuration field names.
 *
 * ClientFactory::missing() and the library's configuration errors name the
 * keys of the library configuration (tenant_id,
 * client_certificate.private_key_pem, ...); an administrator knows the form.
 * This class gives each key the title of its element on step 1
 * (ConnectionForm takes its #title from TITLES, so the two cannot drift)
 * and the HTML id Drupal gives that element, for a link straight to it.
 */
final class ConnectionFields {

  /**
   * The route of step 1.
   */
  public const ROUTE = 'entra_provisioning.connection';

  /**
   * The #title of ConnectionForm's elements, keyed by element name.
   */
  public const TITLES = [
    'tenant_id' => 'Tenant ID',
    'client_id' => 'Application (client) ID',
    'credential_type' => 'Credential type',
    'client_secret' => 'Client secret',
    'certificate_pem' => 'Certificate (PEM)',
    'private_key_pem' => 'Private key (PEM)',
    'primary_domain' => 'Tenant primary domain',
    'test_upn' => 'Test UPN/ID',
    'cloud' => 'Cloud',
    'timeout_ms' => 'Timeout of one Graph request (ms)',
    'max_retries' => 'Retries inside one call (throttling, outages)',
    'max_concurrency' => 'Concurrent Graph requests',
  ];

  /**
   * Library configuration field => ConnectionForm element name.
   */
  public const ELEMENTS = [
    'tenant_id' => 'tenant_id',
    'client_id' => 'client_id',
    'client_secret' => 'client_secret',
    'client_certificate' => 'certificate_pem',
    'client_certificate.certificate_pem' => 'certificate_pem',
    'client_certificate.private_key_pem' => 'private_key_pem',
    'primary_domain' => 'primary_domain',
    'cloud' => 'cloud',
    'timeout_ms' => 'timeout_ms',
    'max_retries' => 'max_retries',
    'max_concurrency' => 'max_concurrency',
  ];

  /**
   * The HTML id of a ConnectionForm element: the link fragment.
   *
   * FormBuilder::doBuildForm() gives an element without #id the id
   * Html::getUniqueId('edit-' . implode('-', $element['#parents'])).
   * ConnectionForm sets no #tree, so even the elements inside the
   * credential containers and the Advanced details have
   * #parents = [their own key]. Html::getId() lowercases, turns ' ', '_'
   * and '[' into '-', drops ']' and anything outside [A-Za-z0-9_-], and
   * collapses runs of '-'. (getUniqueId() only adds a "--N" suffix for a
   * second element of the same id, and a random one in Ajax responses;
   * a plain page load of step 1 has neither.)
   */
  public static function fragment(string $element): string {
    $id = str_replace([' ', '_', '[', ']'], ['-', '-', '-', ''], mb_strtolower('edit-' . $element));
    $id = (string) preg_replace('/[^A-Za-z0-9\-_]/', '', $id);

    return (string) preg_replace('/\-+/', '-', $id);
  }

  /**
   * The step 1 title and link target of each library field, in order.
   *
   * @param list<string> $fields
   *   Library configuration fields, e.g. ClientFactory::missing().
   *
   * @return list<array{field: string, label: string, route: string, fragment: ?string}>
   *   A field step 1 does not have keeps its name as label and gets no
   *   fragment. 'label' is English: pass it through t() to show it.
   */
  public static function labels(array $fields): array {
    $labels = [];
    foreach ($fields as $field) {
      $element = self::ELEMENTS[$field] ?? NULL;
      $labels[] = [
        'field' => $field,
        'label' => $element !== NULL ? self::TITLES[$element] : $field,
        'route' => self::ROUTE,
        'fragment' => $element !== NULL ? self::fragment($element) : NULL,
      ];
    }

    return $labels;
  }

  /**
   * The fields as links for a status report line (RequirementsHooks).
   *
   * @param list<string> $fields
   *
   * @return list<array{label: string, route: string, fragment: ?string}>
   */
  public static function links(array $fields): array {
    return array_map(static fn (array $l): array => ['label' => $l['label'], 'route' => $l['route'], 'fragment' => $l['fragment']], self::labels($fields));
  }

  /**
   * The titles of the fields, comma separated: "Tenant ID, Client secret".
   *
   * @param list<string> $fields
   */
  public static function describe(array $fields): string {
    return implode(', ', array_column(self::labels($fields), 'label'));
  }

}
